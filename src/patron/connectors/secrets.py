"""Credentials at rest: Fernet (AES-128-CBC with HMAC-SHA256) under a key derived from Django's secret key
with HKDF, so a copy of the database alone reveals no shop's keys. Changing the secret key makes the stored
credentials unreadable: the connection then says so and asks for them again."""

import base64
import json

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from patron.core.errors import PatronError

INFO = b"patron.connectors.credentials.v1"


class CredentialsUnreadable(PatronError):
    code = "credentials_unreadable"
    status = 409


def _fernet() -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=INFO).derive(settings.SECRET_KEY.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def seal(credentials: dict) -> str:
    return _fernet().encrypt(json.dumps(credentials, sort_keys=True).encode()).decode()


def unseal(sealed: str) -> dict:
    try:
        return json.loads(_fernet().decrypt(sealed.encode()))
    except (InvalidToken, ValueError):
        raise CredentialsUnreadable("the stored credentials cannot be read (was the secret key changed?); "
                                    "connect the shop again") from None


def hint(secret: str) -> str:
    """What a listing shows of a key: its last four characters."""
    return f"…{secret[-4:]}" if len(secret) > 8 else "…"
