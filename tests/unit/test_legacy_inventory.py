from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from adapters import legacy_inventory as legacy
from adapters import legacy_search
from gateway.domain.errors import ItemNotFound, RequestInvalid, ReservationNotFound
from gateway.domain.model import (
    ReleaseReason,
    ReservationRequest,
    ReservationSearch,
    ReservationStatus,
    ReservationType,
    Source,
    SourceType,
)
from tests.fakes.legacy_queries import is_low
from tests.wall_clock import is_ambiguous, is_gap

BERLIN = legacy.PlantClock("Europe/Berlin")


def legacy_reservation(**overrides: object) -> dict[str, object]:
    record: dict[str, object] = {
        "RSVNO": "100234",
        "REFNO": "GW-abc",
        "ITEMNO": "RM-1001           ",
        "WHSE": "W01",
        "LOC": "A-01-01   ",
        "LOTNO": "  ",
        "QTY": Decimal("12.500"),
        "UOM": "KG",
        "RSVTYP": "P",
        "SRCTYP": "WO",
        "SRCID": "WO-1001",
        "PRIO": 70,
        "RSVSTS": "O",
        "RELRSN": "",
        "OWNER": "PLANT-A",
        "CRTDTM": "20260115103000",
        "CRTUSR": "mes-line-1",
        "EXPDTM": "",
        "RELDTM": None,
        "CLSDTM": "",
    }
    record.update(overrides)
    return record


def test_winter_stamp_is_one_hour_ahead_of_utc() -> None:
    assert BERLIN.to_utc("20260115103000") == datetime(2026, 1, 15, 9, 30, tzinfo=UTC)


def test_summer_stamp_is_two_hours_ahead_of_utc() -> None:
    assert BERLIN.to_utc("20260715103000") == datetime(2026, 7, 15, 8, 30, tzinfo=UTC)


def test_stamp_in_the_spring_gap_uses_the_offset_before_the_jump() -> None:
    naive = datetime(2026, 3, 29, 2, 30)
    assert is_gap(BERLIN.zone, naive)
    assert BERLIN.to_utc("20260329023000") == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


def test_stamp_in_the_autumn_overlap_is_the_first_occurrence() -> None:
    naive = datetime(2026, 10, 25, 2, 30)
    assert is_ambiguous(BERLIN.zone, naive)
    assert BERLIN.to_utc("20261025023000") == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_stamps_either_side_of_the_overlap_are_unambiguous() -> None:
    assert not is_ambiguous(BERLIN.zone, datetime(2026, 10, 25, 1, 59, 59))
    assert BERLIN.to_utc("20261025015959") == datetime(2026, 10, 24, 23, 59, 59, tzinfo=UTC)
    assert BERLIN.to_utc("20261025030000") == datetime(2026, 10, 25, 2, 0, tzinfo=UTC)


def test_both_utc_instants_of_the_overlap_render_as_the_same_wall_clock() -> None:
    first = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    second = first + timedelta(hours=1)
    assert BERLIN.to_legacy(first) == BERLIN.to_legacy(second) == "20261025023000"


def test_to_legacy_converts_any_offset_to_plant_time() -> None:
    new_york_morning = datetime(2026, 6, 1, 4, 0, tzinfo=timezone(timedelta(hours=-4)))
    assert BERLIN.to_legacy(new_york_morning) == "20260601100000"


def test_to_legacy_refuses_a_naive_datetime() -> None:
    with pytest.raises(ValueError, match="naive"):
        BERLIN.to_legacy(datetime(2026, 6, 1, 10, 0))


@pytest.mark.parametrize("blank", [None, "", "              "])
def test_blank_stamp_means_no_time(blank: str | None) -> None:
    assert BERLIN.to_utc(blank) is None
    assert BERLIN.to_legacy(None) == ""


@pytest.mark.parametrize("bad", ["2026-01-15", "20261345103000", "2026011510300X"])
def test_malformed_stamp_is_a_legacy_data_error(bad: str) -> None:
    with pytest.raises(legacy.LegacyDataError, match="malformed"):
        BERLIN.to_utc(bad)


def test_reservation_is_trimmed_decoded_and_blank_fields_become_none() -> None:
    reservation = legacy.reservation_from_legacy(legacy_reservation(), BERLIN)
    assert reservation.item_sku_id == "RM-1001"
    assert reservation.location == "A-01-01"
    assert reservation.lot is None
    assert reservation.quantity == Decimal("12.500")
    assert str(reservation.quantity) == "12.500"
    assert reservation.type is ReservationType.PRODUCTION
    assert reservation.status is ReservationStatus.OPEN
    assert reservation.source == Source(SourceType.WORK_ORDER, "WO-1001")
    assert reservation.created_at == datetime(2026, 1, 15, 9, 30, tzinfo=UTC)
    assert reservation.expires_at is None
    assert reservation.release_reason is None


@pytest.mark.parametrize(
    ("letter", "reason"),
    [("R", ReleaseReason.RELEASED), ("E", ReleaseReason.EXPIRED), ("C", ReleaseReason.CANCELLED)],
)
def test_release_reason_letters(letter: str, reason: ReleaseReason) -> None:
    record = legacy_reservation(RSVSTS="R", RELRSN=letter, RELDTM="20260116080000")
    reservation = legacy.reservation_from_legacy(record, BERLIN)
    assert reservation.status is ReservationStatus.RELEASED
    assert reservation.release_reason is reason
    assert reservation.released_at == datetime(2026, 1, 16, 7, 0, tzinfo=UTC)


@pytest.mark.parametrize("field", ["RSVTYP", "RSVSTS", "SRCTYP"])
def test_unknown_code_letter_is_a_legacy_data_error(field: str) -> None:
    with pytest.raises(legacy.LegacyDataError, match=field):
        legacy.reservation_from_legacy(legacy_reservation(**{field: "Z"}), BERLIN)


def test_quantity_sent_as_float_is_refused_rather_than_rounded() -> None:
    with pytest.raises(legacy.LegacyDataError, match="QTY"):
        legacy.reservation_from_legacy(legacy_reservation(QTY=0.1), BERLIN)


def test_quantity_sent_as_text_keeps_every_digit() -> None:
    reservation = legacy.reservation_from_legacy(legacy_reservation(QTY=" 0.1000 "), BERLIN)
    assert reservation.quantity == Decimal("0.1000")


def test_request_is_padded_lettered_and_stamped_in_plant_time() -> None:
    request = ReservationRequest(
        reference="GW-1",
        item_sku_id="RM-1001",
        warehouse_id="W01",
        quantity=Decimal("3.250"),
        type=ReservationType.SALES,
        source=Source(SourceType.SALES_ORDER, "SO-7"),
        owner_id="PLANT-A",
        expires_at=datetime(2026, 7, 1, 22, 0, tzinfo=UTC),
        override=True,
    )
    payload = legacy.reservation_request_to_legacy(request, BERLIN)
    assert payload["ITEMNO"] == "RM-1001" + " " * 11
    assert len(payload["ITEMNO"]) == 18
    assert payload["RSVTYP"] == "S"
    assert payload["SRCTYP"] == "SO"
    assert payload["EXPDTM"] == "20260702000000"
    assert payload["OVRIDE"] == "Y"
    assert payload["LOC"] == ""
    assert payload["QTY"] == Decimal("3.250")


def test_item_number_longer_than_the_legacy_field_cannot_exist() -> None:
    with pytest.raises(ItemNotFound, match="18"):
        legacy.pad_item_number("X" * 19)


def test_item_balances_carry_description_flags_and_exact_levels() -> None:
    record = {
        "ITEMNO": "RW-9001           ",
        "ITEMDSC": "Rework dough",
        "UOM": "KG",
        "STKTRK": "Y",
        "NEGALW": "N",
        "BALANCES": {
            "WHSBAL": [
                {
                    "WHSE": "W01",
                    "QTYOH": Decimal("10.5"),
                    "QTYRSV": Decimal("4.25"),
                    "MINSTK": Decimal("1"),
                    "REORDPT": Decimal("6"),
                }
            ]
        },
    }
    balances = legacy.item_balances_from_legacy(record)
    assert balances.item.sku_id == "RW-9001"
    assert balances.item.description == "Rework dough"
    assert balances.item.stock_tracked and not balances.item.allow_negative_stock
    (level,) = balances.levels
    assert level.available == Decimal("6.25")
    assert level.reorder_point == Decimal("6")


def test_item_without_balances_has_no_levels() -> None:
    record = {"ITEMNO": "SV-1", "ITEMDSC": "Cleaning", "UOM": "EA", "STKTRK": "N", "NEGALW": ""}
    balances = legacy.item_balances_from_legacy({**record, "BALANCES": None})
    assert balances.levels == ()
    assert not balances.item.stock_tracked


def legacy_balance(**overrides: object) -> dict[str, object]:
    record: dict[str, object] = {
        "WHSE": "W03",
        "QTYOH": Decimal("30.000"),
        "QTYRSV": Decimal("5.000"),
        "MINSTK": Decimal("25"),
        "REORDPT": Decimal("50"),
        "OWNER": "PLANT-B   ",
    }
    record.update(overrides)
    return record


def item_with(*balances: dict[str, object]) -> dict[str, object]:
    item = {"ITEMNO": "RM-1007           ", "ITEMDSC": "Sugar", "UOM": "KG", "STKTRK": "Y"}
    return {**item, "NEGALW": "N", "BALANCES": {"WHSBAL": list(balances)}}


def test_balance_carries_its_warehouse_owner_trimmed() -> None:
    (level,) = legacy.item_balances_from_legacy(item_with(legacy_balance())).levels
    assert level.owner_id == "PLANT-B"
    assert is_low(level)  # 25 available against a reorder point of 50


@pytest.mark.parametrize("blank", ["", "   ", None])
def test_balance_without_owner_has_none(blank: str | None) -> None:
    (level,) = legacy.item_balances_from_legacy(item_with(legacy_balance(OWNER=blank))).levels
    assert level.owner_id is None


def test_reservation_page_keeps_the_legacy_order_total_and_window() -> None:
    rows = [legacy_reservation(RSVNO="7", PRIO=90), legacy_reservation(RSVNO="3", PRIO=10)]
    page = legacy_search.reservation_page_from_legacy(
        {"TOTAL": 12, "ROWS": {"RSV": rows}}, BERLIN, offset=4, limit=2
    )
    assert [r.id for r in page.items] == ["7", "3"]
    assert [r.priority for r in page.items] == [90, 10]
    assert (page.total, page.offset, page.limit) == (12, 4, 2)
    assert page.items[0].created_at == datetime(2026, 1, 15, 9, 30, tzinfo=UTC)


def test_reservation_page_past_the_end_is_empty_but_counts_every_match() -> None:
    page = legacy_search.reservation_page_from_legacy(
        {"TOTAL": 3, "ROWS": None}, BERLIN, offset=50, limit=50
    )
    assert page.items == ()
    assert page.total == 3


def test_reservation_page_without_total_is_a_legacy_data_error() -> None:
    with pytest.raises(legacy.LegacyDataError, match="TOTAL"):
        legacy_search.reservation_page_from_legacy({"ROWS": None}, BERLIN, 0, 50)


def test_consumption_carries_the_closed_reservation_and_on_hand_before_and_after() -> None:
    transaction = {
        "TRNNO": "55", "REFNO": "CNS-1", "ITEMNO": "RM-1001           ", "WHSE": "W01",
        "LOC": "", "LOTNO": "", "QTY": Decimal("-12.500"), "TRNTYP": "CNS",
        "TRNDTM": "20260115110000", "SRCTYP": "WO", "SRCID": "WO-1001",
        "QTYPRV": Decimal("730.000"), "QTYNEW": Decimal("717.500"),
    }  # fmt: skip
    closed = legacy_reservation(RSVSTS="C", CLSDTM="20260115110000")
    consumption = legacy.consumption_from_legacy({"RSV": closed, "TRN": transaction}, BERLIN)
    assert consumption.reservation.status is ReservationStatus.CLOSED
    assert consumption.transaction.reference == "CNS-1"
    assert consumption.transaction.quantity == Decimal("-12.500")
    assert consumption.transaction.previous_on_hand == Decimal("730.000")
    assert consumption.transaction.new_on_hand == Decimal("717.500")


def test_consume_answer_without_its_transaction_is_a_legacy_data_error() -> None:
    with pytest.raises(legacy.LegacyDataError, match="TRN"):
        legacy.consumption_from_legacy({"RSV": legacy_reservation(), "TRN": None}, BERLIN)


def test_a_whole_consume_sends_no_quantity_and_does_not_release_a_remainder() -> None:
    assert legacy.consume_to_legacy("100234", "CNS-1", None, False) == {
        "RSVNO": "100234", "REFNO": "CNS-1", "QTY": None, "RELREM": "N"
    }  # fmt: skip


def test_a_partial_consume_sends_its_exact_quantity_and_the_remainder_flag() -> None:
    sent = legacy.consume_to_legacy("100234", "CNS-2", Decimal("2.125"), True)
    assert (sent["QTY"], sent["RELREM"]) == (Decimal("2.125"), "Y")
    assert isinstance(sent["QTY"], Decimal)


def test_a_consume_of_an_id_the_legacy_system_cannot_have_is_not_found() -> None:
    with pytest.raises(ReservationNotFound):
        legacy.consume_to_legacy("R-1", "CNS-3", None, False)


def test_an_expiry_change_is_stamped_in_plant_time_as_reserve_stamps_it() -> None:
    summer = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
    sent = legacy.expiry_change_to_legacy("100234", summer, "EXP-1", BERLIN)
    assert sent == {"RSVNO": "100234", "EXPDT": "20260701100000", "REFNO": "EXP-1"}
    request = ReservationRequest(
        "R-1", "RM-1001", "W01", Decimal(1), ReservationType.PRODUCTION,
        Source(SourceType.WORK_ORDER, "WO-1"), "PLANT-A", expires_at=summer,
    )  # fmt: skip
    assert sent["EXPDT"] == legacy.reservation_request_to_legacy(request, BERLIN)["EXPDTM"]


def test_an_expiry_cleared_is_sent_blank() -> None:
    assert legacy.expiry_change_to_legacy("100234", None, "EXP-2", BERLIN)["EXPDT"] == ""


def test_search_sends_only_the_criteria_given_lettered_and_padded() -> None:
    search = ReservationSearch(
        item_sku_id="RM-1001",
        status=ReservationStatus.CLOSED,
        source_type=SourceType.SALES_ORDER,
        owner_ids=frozenset({"PLANT-B", "PLANT-A"}),
    )
    assert legacy_search.criteria_to_legacy(search, BERLIN) == {
        "ITEMNO": "RM-1001           ",
        "RSVSTS": "C",
        "SRCTYP": "SO",
        "OWNERS": {"OWNER": ["PLANT-A", "PLANT-B"]},
    }


def test_search_without_criteria_sends_none() -> None:
    assert legacy_search.criteria_to_legacy(ReservationSearch(), BERLIN) == {}


def test_expires_before_is_plant_time_rounded_up_to_the_whole_second() -> None:
    exact = ReservationSearch(expires_before=datetime(2026, 7, 1, 8, 0, 0, tzinfo=UTC))
    partial = ReservationSearch(expires_before=datetime(2026, 7, 1, 8, 0, 0, 1, tzinfo=UTC))
    assert legacy_search.criteria_to_legacy(exact, BERLIN)["EXPBEFORE"] == "20260701100000"
    assert legacy_search.criteria_to_legacy(partial, BERLIN)["EXPBEFORE"] == "20260701100001"


@pytest.mark.parametrize(("offset", "limit"), [(-1, 10), (0, 0), (0, 1001)])
def test_a_page_the_legacy_browse_cannot_serve_is_request_invalid(offset: int, limit: int) -> None:
    with pytest.raises(RequestInvalid):
        legacy_search.check_page(offset, limit)


def test_a_page_at_the_limits_is_accepted() -> None:
    legacy_search.check_page(0, 1)
    legacy_search.check_page(10_000, 1000)
    assert legacy_search.page_to_legacy(10_000, 1000) == {"SKIP": 10_000, "MAXROWS": 1000}


@pytest.mark.parametrize("odd", ["", "12345678901", "¹2", "٣", "12a", " 1", "-1"])
def test_an_id_that_is_not_a_legacy_reservation_number_cannot_exist(odd: str) -> None:
    with pytest.raises(ReservationNotFound):
        legacy.reservation_number(odd)


def test_a_legacy_reservation_number_passes_as_it_is() -> None:
    assert legacy.reservation_number("0000100234") == "0000100234"


@pytest.mark.parametrize(
    "given",
    [datetime(2026, 10, 25, 0, 30, tzinfo=UTC), datetime(2026, 10, 25, 1, 30, tzinfo=UTC)],
    ids=["first-occurrence", "second-occurrence"],
)
def test_an_expiry_in_the_repeated_hour_round_trips_no_earlier(given: datetime) -> None:
    stamp = BERLIN.to_legacy(given)
    record = legacy_reservation(EXPDTM=stamp, CRTDTM=stamp)
    reservation = legacy.reservation_from_legacy(record, BERLIN)
    assert reservation.expires_at == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert reservation.expires_at >= given
    # creation stamps keep the earlier reading (the legacy system's own)
    assert reservation.created_at == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
