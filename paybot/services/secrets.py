"""Encryption of one-time-code secrets at rest (Fernet), with key rotation."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from paybot.core.errors import PaybotError


class SecretKeyMissing(PaybotError):
    code = "secret_key_missing"


class SecretBox:
    """Encrypts with the first key; decrypts with any (so old keys can be rotated out).

    `keys` is PAYBOT_SECRET_KEY: one Fernet key, or several separated by commas, newest first.
    """

    def __init__(self, keys: str | None) -> None:
        parts = [part.strip() for part in (keys or "").split(",") if part.strip()]
        if not parts:
            raise SecretKeyMissing(
                "PAYBOT_SECRET_KEY is not set. Make one with `paybot otp new-key` and keep it "
                "safe: it encrypts every signer's one-time-code secret."
            )
        try:
            self._fernet = MultiFernet([Fernet(part.encode()) for part in parts])
        except ValueError as exc:
            raise SecretKeyMissing(
                f"PAYBOT_SECRET_KEY is not a valid key ({exc}); make one with `paybot otp new-key`."
            ) from exc

    @staticmethod
    def new_key() -> str:
        return Fernet.generate_key().decode()

    def encrypt(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise SecretKeyMissing(
                "A one-time-code secret cannot be read with PAYBOT_SECRET_KEY: the key is wrong "
                "or was changed without `paybot otp rotate-key` (keep the old key after the new)."
            ) from exc

    def rotate(self, token: str) -> str:
        """Re-encrypted with the newest key."""
        try:
            return self._fernet.rotate(token.encode()).decode()
        except InvalidToken as exc:
            raise SecretKeyMissing(
                "A secret cannot be read with any key in PAYBOT_SECRET_KEY; give the old key "
                "after the new one, separated by a comma."
            ) from exc
