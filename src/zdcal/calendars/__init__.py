"""Calendar backends behind one small interface (Cronofy first)."""
