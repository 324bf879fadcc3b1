"""Account keys, event ids and agent links."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zdcal.domain import (
    AccountInfo,
    InvalidAccountKey,
    InvalidSubdomain,
    InvalidTicket,
    account_key_from_entropy,
    agent_link,
    event_id_for,
    new_account_key,
    ticket_id_of_event,
)

# Inside what every identifier Cronofy constrains allows (alphanumerics, "_" and "-").
SAFE_EVENT_ID = re.compile(r"[a-z0-9-]{1,64}")

account_keys = st.from_regex(r"[a-z0-9]{8,32}", fullmatch=True)
ticket_ids = st.integers(min_value=1, max_value=2**63 - 1)


def test_event_id_is_stable_for_an_account_and_ticket() -> None:
    account = AccountInfo(key="k7q2mx4pn5r3ws6t", subdomain="acme")
    same_account_again = AccountInfo(key="k7q2mx4pn5r3ws6t", subdomain="acme-renamed")
    assert event_id_for(account, 35436) == event_id_for(same_account_again, 35436)
    assert event_id_for(account, 35436) == "zdcal-k7q2mx4pn5r3ws6t-35436"


@given(key=account_keys, ticket_id=ticket_ids)
def test_event_ids_use_only_safe_characters(key: str, ticket_id: int) -> None:
    assert SAFE_EVENT_ID.fullmatch(event_id_for(AccountInfo(key, "acme"), ticket_id))


@given(first=st.tuples(account_keys, ticket_ids), second=st.tuples(account_keys, ticket_ids))
def test_event_ids_never_collide_across_accounts_or_tickets(
    first: tuple[str, int], second: tuple[str, int]
) -> None:
    first_id = event_id_for(AccountInfo(first[0], "acme"), first[1])
    second_id = event_id_for(AccountInfo(second[0], "acme"), second[1])
    assert (first_id == second_id) == (first == second)


@given(key=account_keys, ticket_id=ticket_ids)
def test_the_ticket_of_an_event_id_is_read_back(key: str, ticket_id: int) -> None:
    account = AccountInfo(key, "acme")
    assert ticket_id_of_event(account, event_id_for(account, ticket_id)) == ticket_id


# Superscript two passes str.isdigit and then breaks int(); Arabic-Indic one passes both.
@pytest.mark.parametrize(
    "suffix", ["\u00b2", "\u0661", "007", " 7", "7 ", "+7", "0", "", "7-7", "x"]
)
def test_an_event_id_zdcal_did_not_write_names_no_ticket(suffix: str) -> None:
    account = AccountInfo(key="k7q2mx4pn5r3ws6t", subdomain="acme")
    assert ticket_id_of_event(account, f"zdcal-k7q2mx4pn5r3ws6t-{suffix}") is None


def test_another_accounts_event_id_names_no_ticket() -> None:
    acme = AccountInfo(key="k7q2mx4pn5r3ws6t", subdomain="acme")
    globex = AccountInfo(key="g7q2mx4pn5r3ws6t", subdomain="globex")
    assert ticket_id_of_event(acme, event_id_for(globex, 7)) is None
    assert ticket_id_of_event(acme, "7") is None


def test_two_accounts_with_the_same_ticket_id_get_different_event_ids() -> None:
    acme = AccountInfo(key=new_account_key(), subdomain="acme")
    globex = AccountInfo(key=new_account_key(), subdomain="globex")
    assert event_id_for(acme, 1) != event_id_for(globex, 1)


def test_generated_account_keys_are_valid_and_distinct() -> None:
    keys = {new_account_key() for _ in range(200)}
    assert len(keys) == 200
    for key in keys:
        assert AccountInfo(key=key, subdomain="acme").key == key
        assert len(key) == 16


def test_account_key_is_lowercase_base32_of_its_entropy() -> None:
    assert account_key_from_entropy(bytes(range(10))) == "aaaqeayeaudaocaj"
    with pytest.raises(InvalidAccountKey):
        account_key_from_entropy(b"\x00\x01")


@pytest.mark.parametrize("key", ["", "short", "UPPERCASE1", "with-hyphen", "a" * 33, "ünïcode12"])
def test_invalid_account_keys_are_refused(key: str) -> None:
    with pytest.raises(InvalidAccountKey):
        AccountInfo(key=key, subdomain="acme")


@pytest.mark.parametrize(
    "subdomain", ["", "Acme", "-acme", "acme-", "acme.evil.com", "acme/x", "a" * 64]
)
def test_invalid_subdomains_are_refused(subdomain: str) -> None:
    with pytest.raises(InvalidSubdomain):
        AccountInfo(key="k7q2mx4pn5r3ws6t", subdomain=subdomain)


def test_agent_link_points_at_the_agent_interface() -> None:
    account = AccountInfo(key="k7q2mx4pn5r3ws6t", subdomain="acme-support")
    assert agent_link(account, 35436) == "https://acme-support.zendesk.com/agent/tickets/35436"


def test_agent_link_follows_the_base_url_in_use() -> None:
    """The demo's account lives on the simulator: its links open the simulator's page."""
    account = AccountInfo(key="k7q2mx4pn5r3ws6t", subdomain="sandbox",
                          base_url="http://127.0.0.1:8101/")
    assert agent_link(account, 7) == "http://127.0.0.1:8101/agent/tickets/7"


@pytest.mark.parametrize("ticket_id", [0, -5, True])
def test_ticket_ids_must_be_positive_integers(ticket_id: int) -> None:
    account = AccountInfo(key="k7q2mx4pn5r3ws6t", subdomain="acme")
    with pytest.raises(InvalidTicket):
        event_id_for(account, ticket_id)
    with pytest.raises(InvalidTicket):
        agent_link(account, ticket_id)
