"""The mail providers' event webhooks (django-anymail): a hard bounce or a spam complaint suppresses the address; a
call with a wrong secret or signature is refused and changes nothing. Payloads as the providers' docs show them."""

import base64
import hashlib
import hmac
import json
import time

import pytest
from django.test import Client

from patron.customers.models import Customer
from patron.messaging import services
from patron.messaging.delivery import deliver_due
from patron.messaging.models import Message, Suppression
from patron.messaging.render import message_id

pytestmark = pytest.mark.django_db

SECRET = "patron:a-long-webhook-secret"


@pytest.fixture
def on(settings):
    settings.PATRON_MAIL_WEBHOOK_SECRET = SECRET
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET, "MAILGUN_WEBHOOK_SIGNING_KEY": "key-mailgun-signing"}
    settings.PATRON_MAILGUN_WEBHOOK_SIGNING_KEY = "key-mailgun-signing"


def _auth(secret: str = SECRET) -> dict:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(secret.encode()).decode()}


def _postmark_bounce(email: str, kind: str = "HardBounce") -> str:
    return json.dumps({"RecordType": "Bounce", "ID": 4323372036854775807, "Type": kind, "TypeCode": 1, "Name": "Hard bounce",
                       "Tag": "", "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483", "ServerID": 23, "Description":
                       "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
                       "Details": "550 5.1.1 The email account that you tried to reach does not exist.", "Email": email,
                       "From": "shop@example.com", "BouncedAt": "2026-12-01T16:33:54.9070259Z", "Inactive": True,
                       "CanActivate": True, "Subject": "Your points", "MessageStream": "outbound"})


def test_a_postmark_hard_bounce_suppresses_the_address_and_the_next_message_is_not_sent(on, mail_to):
    ieva = Customer.objects.create(external_id="ieva", email="ieva@example.com", email_consent=True)
    response = Client().post("/mail/events/postmark/", _postmark_bounce("Ieva@Example.com"), content_type="application/json", **_auth())
    assert response.status_code == 200
    kept = Suppression.objects.get()
    assert (kept.address, kept.reason) == ("ieva@example.com", "bounce") and kept.detail.startswith("Postmark: The server")
    services.queue(ieva, "points_expiring", context={"points": 10, "expires_on": "2026-12-31"})
    assert deliver_due().reasons == {"bounced": 1} and mail_to.messages == []


def test_a_soft_bounce_changes_nothing_and_a_wrong_secret_is_refused(on):
    assert Client().post("/mail/events/postmark/", _postmark_bounce("a@example.com", "SoftBounce"),
                         content_type="application/json", **_auth()).status_code == 200
    refused = Client().post("/mail/events/postmark/", _postmark_bounce("b@example.com"), content_type="application/json",
                            **_auth("patron:wrong"))
    assert refused.status_code in (400, 403)
    assert Client().post("/mail/events/postmark/", _postmark_bounce("c@example.com"), content_type="application/json").status_code in (400, 403)
    assert not Suppression.objects.exists()


def _mailgun(event: dict, key: str = "key-mailgun-signing") -> str:
    timestamp, token = str(int(time.time())), "a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0"
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    return json.dumps({"signature": {"timestamp": timestamp, "token": token, "signature": signature}, "event-data": event})


def test_a_mailgun_complaint_is_checked_by_its_signature(on):
    message = Message(pk=42)
    complaint = {"event": "complained", "id": "ncV2XwymRUKbPek_MIM-Gw", "timestamp": time.time(), "recipient": "jonas@example.lt",
                 "message": {"headers": {"message-id": message_id(message).strip("<>")}}}
    forged = Client().post("/mail/events/mailgun/", _mailgun(complaint, key="not-the-key"), content_type="application/json", **_auth())
    assert forged.status_code in (400, 403) and not Suppression.objects.exists()
    assert Client().post("/mail/events/mailgun/", _mailgun(complaint), content_type="application/json", **_auth()).status_code == 200
    assert Suppression.objects.get().reason == "complaint"


def test_a_brevo_hard_bounce_and_the_webhooks_off_without_a_secret(on, settings):
    bounce = {"event": "hard_bounce", "email": "nino@example.ge", "id": 26224, "date": "2026-12-01 17:06:16",
              "ts": 1764608776, "message-id": "<201798300811.5787683@relay.domain.com>", "ts_event": 1764608776,
              "subject": "Your points", "reason": "550 5.1.1 unknown user"}
    assert Client().post("/mail/events/brevo/", json.dumps(bounce), content_type="application/json", **_auth()).status_code == 200
    assert Suppression.objects.get().address == "nino@example.ge"
    settings.PATRON_MAIL_WEBHOOK_SECRET = ""
    off = Client().post("/mail/events/brevo/", json.dumps({**bounce, "email": "other@example.ge"}), content_type="application/json")
    assert off.status_code == 404 and "PATRON_MAIL_WEBHOOK_SECRET" in off.json()["error"]
    assert Client().post("/mail/events/sendgrid/", "{}", content_type="application/json").status_code == 404
    assert Suppression.objects.count() == 1


def _sns(ses_event: dict, message_id: str = "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324") -> tuple[str, dict]:
    body = {"Type": "Notification", "MessageId": message_id, "TopicArn": "arn:aws:sns:eu-central-1:123456789012:ses-events",
            "Message": json.dumps(ses_event), "Timestamp": "2026-12-01T17:06:16.000Z", "SignatureVersion": "1",
            "Signature": "EXAMPLE", "SigningCertURL": "https://sns.eu-central-1.amazonaws.com/SimpleNotificationService.pem"}
    return json.dumps(body), {"HTTP_X_AMZ_SNS_MESSAGE_TYPE": "Notification", "HTTP_X_AMZ_SNS_MESSAGE_ID": message_id}


def _ses_bounce(email: str, kind: str) -> dict:
    return {"eventType": "Bounce", "bounce": {"bounceType": kind, "bounceSubType": "General", "bouncedRecipients": [
        {"emailAddress": email, "action": "failed", "status": "5.1.1", "diagnosticCode": "smtp; 550 5.1.1 user unknown"}],
        "timestamp": "2026-12-01T17:06:15.000Z", "feedbackId": "0102017c"}, "mail": {
        "timestamp": "2026-12-01T17:06:14.000Z", "source": "shop@example.com", "messageId": "0102017c-ses",
        "destination": [email], "headers": [], "commonHeaders": {}}}


def test_an_amazon_ses_permanent_bounce_through_sns_suppresses_a_transient_one_does_not(on):
    body, headers = _sns(_ses_bounce("mari@example.ee", "Transient"))
    assert Client().post("/mail/events/amazon_ses/", body, content_type="text/plain", **headers, **_auth()).status_code == 200
    assert not Suppression.objects.exists()
    body, headers = _sns(_ses_bounce("mari@example.ee", "Permanent"), message_id="another-id")
    assert Client().post("/mail/events/amazon_ses/", body, content_type="text/plain", **headers, **_auth()).status_code == 200
    assert Suppression.objects.get().address == "mari@example.ee"
    # Without the secret, SNS is asked for it (401), and nothing changes.
    body, headers = _sns(_ses_bounce("kai@example.ee", "Permanent"), message_id="third-id")
    assert Client().post("/mail/events/amazon_ses/", body, content_type="text/plain", **headers).status_code == 401
    assert Suppression.objects.count() == 1
