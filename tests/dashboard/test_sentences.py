"""Codes staff used to read raw, as sentences in their language: the timeline, the ledger's reasons, the audit log."""

from django.utils import translation

from patron.dashboard import sentences


def test_the_timeline_speaks_in_sentences_with_money_as_the_language_writes_it():
    order = {"kind": "order", "payload": {"order": "A-17", "total": "42.410", "currency": "EUR", "status": "completed"}}
    consent = {"kind": "consent", "channel": "email", "payload": {"granted": False, "source": "unsubscribe"}}
    with translation.override("en"):
        assert sentences.event(order) == "Order A-17, €42.41."
        assert sentences.event(consent) == "Withdrew consent to emails, through the unsubscribe link."
    with translation.override("lt"):
        assert sentences.event(order) == "Užsakymas A-17, 42,41\xa0€."
        assert "granted" not in sentences.event(consent) and "False" not in sentences.event(consent)


def test_the_ledger_reasons_patron_wrote_are_translated_and_a_persons_own_are_kept():
    with translation.override("lv"):
        assert sentences.reason("expired") != "expired"
        assert sentences.reason("refund of order 7334").endswith("7334")
        assert "refund" not in sentences.reason("refund of order 7334")
        assert sentences.reason("parcel was late") == "parcel was late"


def test_the_audit_log_says_who_did_what_to_whom():
    with translation.override("en"):
        said = sentences.audit("points.grant", {"program": "Rewards", "points": 50, "reason": "late parcel"})
        assert said == "granted 50 points in Rewards: late parcel"
        assert sentences.target("customer:C0000041") == "customer C0000041"
        assert sentences.audit("journey.on", {"backlog": "none", "holdout_share": "0.1"}) == \
            "switched a journey on (taken in at once: nobody)"
        assert sentences.audit("something.new", {}) == "something.new"  # an action without a sentence, as recorded
    with translation.override("ka"):
        assert "points.grant" not in sentences.audit("points.grant", {"program": "R", "points": 5, "reason": "x"})
