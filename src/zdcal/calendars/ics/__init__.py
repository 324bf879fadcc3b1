"""Calendar subscriptions: an agent's open tasks as an iCalendar feed any calendar app
can subscribe to (:mod:`.feed`)."""
