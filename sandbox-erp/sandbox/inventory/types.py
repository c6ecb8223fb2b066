"""The legacy inventory contract's types (wsdl/inventory.wsdl is generated from these)."""

from __future__ import annotations

from spyne import ComplexModel, Decimal, Fault, Integer, Unicode
from spyne.model.complex import Array

from sandbox.inventory.quantity import (
    QUANTITY_FRACTION_DIGITS,
    QUANTITY_MAX,
    QUANTITY_TOTAL_DIGITS,
)

NAMESPACE = "urn:legacy-erp:inventory:v1"

Flag = Unicode(max_len=1, pattern="[YN ]?")
ItemNo = Unicode(max_len=18)
Stamp = Unicode(max_len=14, pattern="([0-9]{14})?")
RefNo = Unicode(max_len=40)
"""A caller's reference for a write (REFNO): a repeat with the same one lands once."""
Quantity = Decimal.customize(
    total_digits=QUANTITY_TOTAL_DIGITS,
    fraction_digits=QUANTITY_FRACTION_DIGITS,
    ge=-QUANTITY_MAX,
    le=QUANTITY_MAX,
    max_str_len=1024,  # spyne's default cut (total_digits + 2) would answer a schema fault, not 240
    type_name="QUANTITY",
)
"""Every quantity column (QTY, QTYOH, QTYRSV, MINSTK, REORDPT, QTYPRV, QTYNEW): DECIMAL(13, 3)."""
Quantity.__namespace__ = NAMESPACE  # else spyne puts the named type in its own module's namespace


class ITEM(ComplexModel):
    __namespace__ = NAMESPACE
    _type_info = [
        ("ITEMNO", ItemNo),
        ("ITEMDSC", Unicode(max_len=40)),
        ("UOM", Unicode(max_len=3)),
        ("STKTRK", Flag),
        ("NEGALW", Flag),
    ]


class WHSBAL(ComplexModel):
    __namespace__ = NAMESPACE
    _type_info = [
        ("WHSE", Unicode(max_len=3)),
        ("QTYOH", Quantity),
        ("QTYRSV", Quantity),
        ("MINSTK", Quantity),
        ("REORDPT", Quantity),
        ("OWNER", Unicode(max_len=10)),
    ]


class ITEMBAL(ComplexModel):
    __namespace__ = NAMESPACE
    _type_info = [
        ("ITEMNO", ItemNo),
        ("ITEMDSC", Unicode(max_len=40)),
        ("UOM", Unicode(max_len=3)),
        ("STKTRK", Flag),
        ("NEGALW", Flag),
        ("BALANCES", Array(WHSBAL)),
    ]


class RSV(ComplexModel):
    __namespace__ = NAMESPACE
    _type_info = [
        ("RSVNO", Unicode(max_len=10)),
        ("REFNO", Unicode(max_len=40)),
        ("ITEMNO", ItemNo),
        ("WHSE", Unicode(max_len=3)),
        ("LOC", Unicode(max_len=10)),
        ("LOTNO", Unicode(max_len=20)),
        ("QTY", Quantity),
        ("UOM", Unicode(max_len=3)),
        ("RSVTYP", Unicode(max_len=1)),
        ("SRCTYP", Unicode(max_len=2)),
        ("SRCID", Unicode(max_len=20)),
        ("PRIO", Integer),
        ("RSVSTS", Unicode(max_len=1)),
        ("RELRSN", Unicode(max_len=1)),
        ("OWNER", Unicode(max_len=10)),
        ("CRTDTM", Stamp),
        ("CRTUSR", Unicode(max_len=40)),
        ("EXPDTM", Stamp),
        ("RELDTM", Stamp),
        ("CLSDTM", Stamp),
    ]


class RSVREQ(ComplexModel):
    __namespace__ = NAMESPACE
    _type_info = [
        ("REFNO", Unicode(max_len=40, min_occurs=1)),
        ("ITEMNO", ItemNo),
        ("WHSE", Unicode(max_len=3)),
        ("LOC", Unicode(max_len=10)),
        ("LOTNO", Unicode(max_len=20)),
        ("QTY", Quantity),
        ("UOM", Unicode(max_len=3)),
        ("RSVTYP", Unicode(max_len=1)),
        ("SRCTYP", Unicode(max_len=2)),
        ("SRCID", Unicode(max_len=20)),
        ("PRIO", Integer),
        ("OWNER", Unicode(max_len=10)),
        ("EXPDTM", Stamp),
        ("CRTUSR", Unicode(max_len=40)),
        ("OVRIDE", Flag),
    ]


class TRN(ComplexModel):
    __namespace__ = NAMESPACE
    _type_info = [
        ("TRNNO", Unicode(max_len=10)),
        ("REFNO", Unicode(max_len=40)),
        ("ITEMNO", ItemNo),
        ("WHSE", Unicode(max_len=3)),
        ("LOC", Unicode(max_len=10)),
        ("LOTNO", Unicode(max_len=20)),
        ("QTY", Quantity),
        ("TRNTYP", Unicode(max_len=3)),
        ("TRNDTM", Stamp),
        ("SRCTYP", Unicode(max_len=2)),
        ("SRCID", Unicode(max_len=20)),
        ("QTYPRV", Quantity),
        ("QTYNEW", Quantity),
    ]


OWNERLIST = Array(Unicode, member_name="OWNER").customize(type_name="OWNERLIST")


class CRITERIA(ComplexModel):
    """What a reservation browse selects on; every criterion is optional."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("ITEMNO", ItemNo),
        ("WHSE", Unicode(max_len=3)),
        ("RSVSTS", Unicode(max_len=1)),
        ("SRCTYP", Unicode(max_len=2)),
        ("SRCID", Unicode(max_len=20)),
        ("OWNERS", OWNERLIST),
        ("EXPBEFORE", Stamp),
    ]


class PAGE(ComplexModel):
    __namespace__ = NAMESPACE
    _type_info = [
        ("SKIP", Integer(ge=0, min_occurs=1)),
        ("MAXROWS", Integer(ge=1, le=1000, min_occurs=1)),
    ]


class RSVPAGE(ComplexModel):
    """One page of a browse; TOTAL counts every reservation matching the criteria."""

    __namespace__ = NAMESPACE
    _type_info = [("TOTAL", Integer), ("ROWS", Array(RSV))]


class CNSRES(ComplexModel):
    __namespace__ = NAMESPACE
    _type_info = [("RSV", RSV), ("TRN", TRN)]


class LEGACYFAULT(Fault):
    """Every fault carries ``detail/LEGACYERR/ERRNO`` and ``ERRMSG``."""

    __namespace__ = NAMESPACE


QUANTITY_FIELDS = frozenset(
    name
    for model in (WHSBAL, RSV, RSVREQ, TRN)
    for name, kind in model.get_flat_type_info(model).items()
    if kind is Quantity
)
"""The fields a record's quantities travel in; every one is a DECIMAL(13, 3) column."""

ITEMNOLIST = Array(Unicode, member_name="ITEMNO").customize(type_name="ITEMNOLIST")
SRCIDLIST = Array(Unicode, member_name="SRCID").customize(type_name="SRCIDLIST")
