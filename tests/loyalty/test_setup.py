"""Setting a program up (loyalty.setup): each change checked whole and audited, rules revised rather than rewritten,
and a reward's picture kept as an image Patron wrote."""

import datetime as dt
import io
import struct
import zlib
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from patron.core.errors import Conflict, InvalidInput
from patron.core.models import AuditEvent
from patron.customers.services import upsert_customer
from patron.loyalty import services, setup
from patron.loyalty.models import EarningRule, Program, Reward, RewardImage, Tier

pytestmark = pytest.mark.django_db


@pytest.fixture
def program():
    return Program.objects.create(name="Patron Rewards", currency="EUR")


def _photo(size=(1600, 1200), fmt="JPEG") -> SimpleUploadedFile:
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "Phone maker"  # a camera's make, as a phone writes it
    out = io.BytesIO()
    image.save(out, fmt, exif=exif.tobytes()) if fmt == "JPEG" else image.save(out, fmt)
    return SimpleUploadedFile(f"photo.{fmt.lower()}", out.getvalue(), content_type=f"image/{fmt.lower()}")


def test_a_program_is_created_with_names_and_the_change_is_audited(program):
    saved = setup.save(Program(), {"name": "Dovanos", "currency": "gel", "names": {"ka": "საჩუქრები"}}, actor="cli:test")
    assert saved.currency == "GEL" and saved.name_in("ka") == "საჩუქრები" and saved.name_in("lv") == "Dovanos"
    event = AuditEvent.objects.get(action=setup.SETUP, target=f"program:{saved.pk}")
    assert event.detail == {"kind": "program", "name": "Dovanos", "created": True, "changed": []}
    setup.save(saved, {"points_per_unit": 2, "currency": "GEL"}, actor="cli:test")
    assert AuditEvent.objects.filter(action=setup.SETUP).last().detail["changed"] == ["points_per_unit"]
    setup.save(saved, {"points_per_unit": 2}, actor="cli:test")  # nothing changed: nothing recorded
    assert AuditEvent.objects.filter(action=setup.SETUP).count() == 2


def test_a_currency_must_be_real_and_stays_once_points_are_earned(program):
    with pytest.raises(InvalidInput) as refused:
        setup.save(Program(), {"name": "X", "currency": "EUX"}, actor="cli:test")
    assert refused.value.details["field"] == "currency" and "EUX" in refused.value.message
    setup.save(program, {"currency": "GBP"}, actor="cli:test")  # no points yet: it may change
    customer, _ = upsert_customer("c-1")
    services.earn(program, customer, 10, reason="test")
    with pytest.raises(Conflict) as refused:
        setup.save(program, {"currency": "EUR"}, actor="cli:test")
    assert "GBP" in refused.value.message
    assert Program.objects.get(pk=program.pk).currency == "GBP"


def test_a_higher_tier_needs_a_higher_threshold_and_names_are_unique(program):
    setup.save(Tier(program=program), {"name": "Silver", "rank": 1, "threshold": Decimal(250), "multiplier": Decimal(1)}, actor="t")
    gold = setup.save(Tier(program=program), {"name": "Gold", "rank": 2, "threshold": Decimal(800), "names": {"lv": "Zelts"}}, actor="t")
    with pytest.raises(InvalidInput) as refused:
        setup.save(Tier(program=program), {"name": "Bronze", "rank": 3, "threshold": Decimal(100)}, actor="t")
    assert refused.value.details["field"] == "threshold" and "Gold" in refused.value.message
    with pytest.raises(InvalidInput):
        setup.save(gold, {"threshold": Decimal(200)}, actor="t")  # below Silver's, a rank lower
    with pytest.raises(InvalidInput):
        setup.save(Tier(program=program), {"name": "Silver", "rank": 5, "threshold": Decimal(5000)}, actor="t")
    assert list(Tier.objects.values_list("name", "threshold")) == [("Silver", 250), ("Gold", 800)]


def test_a_reward_is_checked_whole(program):
    with pytest.raises(InvalidInput) as refused:
        setup.save(Reward(program=program), {"name": "Half off", "kind": Reward.Kind.DISCOUNT_PERCENT, "value": Decimal(150),
                                              "cost": 100}, actor="t")
    assert refused.value.details["field"] == "value"
    other = Program.objects.create(name="Other", currency="GEL")
    foreign = Tier.objects.create(program=other, name="Gold", rank=1, threshold=1)
    with pytest.raises(InvalidInput) as refused:
        setup.save(Reward(program=program), {"name": "Gift", "kind": Reward.Kind.GIFT, "cost": 100, "min_tier": foreign}, actor="t")
    assert refused.value.details["field"] == "min_tier"
    assert not Reward.objects.exists()


def test_a_picture_is_kept_as_webp_at_most_800_pixels_without_the_uploads_metadata(program):
    reward = setup.save(Reward(program=program), {"name": "Tote bag", "kind": Reward.Kind.GIFT, "cost": 300,
                                                   "descriptions": {"et": "Puuvillane kott"}}, actor="t", upload=_photo())
    kept = RewardImage.objects.get(reward=reward)
    with Image.open(io.BytesIO(bytes(kept.data))) as image:
        assert image.format == "WEBP" and image.size == (800, 600) == (kept.width, kept.height)
        assert not image.getexif()
    assert len(reward.image_hash) == 16 and setup.picture_of(reward.pk, reward.image_hash) == bytes(kept.data)
    assert setup.picture_of(reward.pk, "0" * 16) is None
    assert reward.description_in("et") == "Puuvillane kott" and reward.description_in("lv") == ""
    setup.save(reward, {}, actor="t", drop_picture=True)
    assert not RewardImage.objects.exists() and Reward.objects.get(pk=reward.pk).image_hash == ""


def _bomb() -> bytes:
    """A PNG that says it is 30,000 x 30,000 pixels: a few bytes that would decode to gigabytes."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", 30_000, 30_000, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 100)) + chunk(b"IEND", b"")


@pytest.mark.parametrize("upload", [
    SimpleUploadedFile("notes.png", b"not a picture at all", content_type="image/png"),
    SimpleUploadedFile("page.png", b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"),
    SimpleUploadedFile("huge.png", _bomb(), content_type="image/png"),
    SimpleUploadedFile("big.jpg", b"\xff" * (setup.PICTURE_BYTES + 1), content_type="image/jpeg"),
], ids=["text", "svg", "bomb", "too-large"])
def test_a_file_that_is_not_a_safe_picture_is_refused_and_nothing_is_saved(program, upload):
    with pytest.raises(InvalidInput) as refused:
        setup.save(Reward(program=program), {"name": "Gift", "kind": Reward.Kind.GIFT, "cost": 5}, actor="t", upload=upload)
    assert refused.value.details["field"] == "picture"
    assert not Reward.objects.exists() and not RewardImage.objects.exists()


def test_changing_a_rule_in_force_closes_it_and_opens_a_new_one(program):
    start = timezone.now() - dt.timedelta(days=10)
    rule = setup.save(EarningRule(program=program), {"kind": EarningRule.Kind.CATEGORY_MULTIPLIER, "target": "Books",
                                                     "multiplier": Decimal(2), "valid_from": start}, actor="t")
    new = setup.save(rule, {"kind": rule.kind, "target": "Books", "multiplier": Decimal(3), "valid_from": start}, actor="t")
    old = EarningRule.objects.get(pk=rule.pk)
    assert new.pk != old.pk and old.multiplier == 2 and old.valid_until is not None and new.valid_from == old.valid_until
    assert new.multiplier == 3 and new.valid_until is None
    with pytest.raises(Conflict):  # the closed version is the record of past scores: not even its dates move
        setup.save(old, {"valid_from": start - dt.timedelta(days=30)}, actor="t")
    with pytest.raises(InvalidInput) as refused:
        setup.save(EarningRule(program=program), {"kind": EarningRule.Kind.PRODUCT_MULTIPLIER, "target": "",
                                                  "valid_from": start}, actor="t")
    assert refused.value.details["field"] == "target"
