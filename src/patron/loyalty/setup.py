"""Setting a program up on Patron's pages: the program, its tiers, rewards (with a picture and a name and
description per language), earning rules and paid plans. Each change is checked whole (the model's own rules,
the unique names and ranks, the rules that span rows) and written with its audit entry, or not at all."""

from __future__ import annotations

import hashlib
import io
import warnings

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from patron.core import audit
from patron.core.catalogs import LANGUAGES
from patron.core.errors import Conflict, InvalidInput
from patron.core.money import is_currency
from patron.loyalty.earning import revise_rule
from patron.loyalty.models import EarningRule, Movement, PaidPlan, Program, Reward, RewardImage, Tier

SETUP = "program.setup"
PICTURE_BYTES = 5 * 1024 * 1024  # an upload larger than this is refused before it is decoded
PICTURE_PIXELS = 40_000_000  # and one that decodes to more pixels than this (a decompression bomb)
PICTURE_SIDE = 800
PICTURE_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
KINDS = {Program: "program", Tier: "tier", Reward: "reward", EarningRule: "rule", PaidPlan: "plan"}
# A rule's validity may move in place; any other change closes the version in force and opens a new one.
RULE_VALIDITY = ("valid_from", "valid_until")


def translations(values: dict[str, str]) -> dict[str, str]:
    """The per-language names or descriptions kept: the five languages' non-blank ones, trimmed."""
    return {lang: text.strip() for lang, text in values.items() if lang in LANGUAGES and (text or "").strip()}


def picture(upload) -> tuple[bytes, int, int]:
    """The uploaded file as the picture Patron keeps: decoded by Pillow (JPEG, PNG, WebP or GIF), turned upright,
    at most PICTURE_SIDE on a side and written again as WebP, which drops the upload's metadata (a phone's GPS
    position) and anything hidden beside the pixels. A file that is not such a picture is refused by name."""
    data = upload.read(PICTURE_BYTES + 1)
    if len(data) > PICTURE_BYTES:
        raise InvalidInput(_("The picture is larger than %(mb)s MB.") % {"mb": PICTURE_BYTES // (1024 * 1024)}, field="picture")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as found:
                if found.format not in PICTURE_FORMATS:
                    raise InvalidInput(_("A picture must be a JPEG, PNG, WebP or GIF file."), field="picture")
                if found.width * found.height > PICTURE_PIXELS:
                    raise InvalidInput(_("The picture has too many pixels."), field="picture")
                image = ImageOps.exif_transpose(found)
                image = image.convert("RGBA" if "A" in image.getbands() or "transparency" in found.info else "RGB")
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning, OSError, SyntaxError):
        raise InvalidInput(_("The file is not a picture Patron can read (JPEG, PNG, WebP or GIF)."), field="picture") from None
    image.thumbnail((PICTURE_SIDE, PICTURE_SIDE))
    out = io.BytesIO()
    image.save(out, "WEBP", quality=82, method=4)
    return out.getvalue(), image.width, image.height


def check_currency(code: str) -> str:
    code = (code or "").strip().upper()
    if not is_currency(code):
        raise InvalidInput(_("%(code)s is not an ISO 4217 currency code (such as EUR or GEL).") % {"code": code or "–"},
                           field="currency")
    return code


def _spans(thing) -> None:
    """The rules that span rows, which no single row's validation sees."""
    if isinstance(thing, Program) and thing.pk:
        before = Program.objects.filter(pk=thing.pk).values_list("currency", flat=True).first()
        if before != thing.currency and Movement.objects.filter(program=thing).exists():
            raise Conflict(_("The program already has points earned in %(currency)s, so its currency stays; set up another "
                             "program for the other currency.") % {"currency": before}, field="currency")
    if isinstance(thing, Tier):
        others = Tier.objects.filter(program=thing.program).exclude(pk=thing.pk)
        lower = others.filter(rank__lt=thing.rank, threshold__gte=thing.threshold).order_by("-rank").first()
        higher = others.filter(rank__gt=thing.rank, threshold__lte=thing.threshold).order_by("rank").first()
        if lower or higher:
            clash = lower or higher
            raise InvalidInput(_("A higher tier needs a higher threshold: %(tier)s (rank %(rank)s) starts at %(threshold)s.")
                               % {"tier": clash.name, "rank": clash.rank, "threshold": clash.threshold}, field="threshold")
    if isinstance(thing, EarningRule) and thing.pk:
        ended = EarningRule.objects.filter(pk=thing.pk, valid_until__lte=timezone.now()).exists()
        if ended:
            raise Conflict(_("This version of the rule has ended; it is kept as the record of how past orders were scored."))
    if isinstance(thing, Reward) and thing.min_tier_id and thing.min_tier.program_id != thing.program_id:
        raise InvalidInput(_("The tier belongs to another program."), field="min_tier")


def _check(thing) -> None:
    try:
        thing.full_clean()
    except ValidationError as exc:
        field, found = next(iter(exc.message_dict.items()))
        raise InvalidInput(f"{found[0]}", field=field if field != "__all__" else "") from None
    _spans(thing)


@transaction.atomic
def save(thing, values: dict, *, actor, upload=None, drop_picture: bool = False):
    """Create or change a program, tier, reward, earning rule or paid plan with `values` (field: value), and its
    picture (a reward); returns what was saved. A rule in force is revised (loyalty.earning.revise_rule): orders
    already scored keep their points."""
    kind = KINDS[type(thing)]
    new = thing.pk is None
    if isinstance(thing, Program) and "currency" in values:
        values = {**values, "currency": check_currency(values["currency"])}
    changed = sorted(name for name, value in values.items() if new or getattr(thing, name) != value)
    for name, value in values.items():
        setattr(thing, name, value)
    _check(thing)
    image = picture(upload) if upload is not None else None
    if isinstance(thing, EarningRule) and not new and set(changed) - set(RULE_VALIDITY):
        thing = revise_rule(EarningRule.objects.get(pk=thing.pk), {n: values[n] for n in changed if n not in RULE_VALIDITY})
    else:
        thing.save()
    if image is not None:
        data, width, height = image
        RewardImage.objects.update_or_create(reward=thing, defaults={"data": data, "width": width, "height": height})
        thing.image_hash = hashlib.sha256(data).hexdigest()[:16]
        thing.save(update_fields=["image_hash"])
        changed.append("picture")
    elif drop_picture and getattr(thing, "image_hash", ""):
        RewardImage.objects.filter(reward=thing).delete()
        thing.image_hash = ""
        thing.save(update_fields=["image_hash"])
        changed.append("picture")
    if new or changed:
        program = thing if isinstance(thing, Program) else thing.program
        audit.record(actor, SETUP, f"program:{program.pk}", kind=kind, name=str(getattr(thing, "name", "") or thing),
                     created=new, changed=[] if new else changed)
    return thing


def picture_of(reward_id: int, image_hash: str) -> bytes | None:
    """The bytes of a reward's picture, if `image_hash` is still its picture's."""
    if not Reward.objects.filter(pk=reward_id, image_hash=image_hash).exclude(image_hash="").exists():
        return None
    return RewardImage.objects.filter(reward_id=reward_id).values_list("data", flat=True).first()
