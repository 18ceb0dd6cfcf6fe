"""Compact JWS (JWT) signing and verification with RS256 and ES256, nothing more.

Owns the wire format only: base64url segments, the header, the signature. It never decides
whether claims are acceptable (that is `serviceaccount`), and it accepts no unsigned tokens:
the algorithm must match the key type, so `alg: none` or an HMAC downgrade cannot pass.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any, Final, TypeAlias

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from ocm_core.apiserver.auth.errors import TokenError

SigningKey: TypeAlias = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
VerificationKey: TypeAlias = rsa.RSAPublicKey | ec.EllipticCurvePublicKey

RS256: Final = "RS256"
ES256: Final = "ES256"
_ES256_COORDINATE_BYTES: Final = 32
_SEGMENTS: Final = 3


def key_id(public_key: VerificationKey) -> str:
    """The `kid` kube-apiserver puts in ServiceAccount tokens: base64url(sha256(DER SPKI))."""
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return _b64encode(hashlib.sha256(der).digest())


def public_jwk(key: VerificationKey) -> dict[str, str]:
    """The key as a JWK (RFC 7517), as kube-apiserver lists it at `/openid/v1/jwks`."""
    jwk = {"use": "sig", "kid": key_id(key), "alg": algorithm_for(key)}
    if isinstance(key, rsa.RSAPublicKey):
        numbers = key.public_numbers()
        return {**jwk, "kty": "RSA", "n": _b64int(numbers.n), "e": _b64int(numbers.e)}
    point = key.public_numbers()
    return {
        **jwk,
        "kty": "EC",
        "crv": "P-256",
        "x": _b64encode(point.x.to_bytes(_ES256_COORDINATE_BYTES, "big")),
        "y": _b64encode(point.y.to_bytes(_ES256_COORDINATE_BYTES, "big")),
    }


def algorithm_for(key: SigningKey | VerificationKey) -> str:
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        return RS256
    if not isinstance(key.curve, ec.SECP256R1):
        raise TokenError(f"ECDSA token keys must use P-256, not {key.curve.name}")
    return ES256


def encode(claims: Mapping[str, Any], key: SigningKey) -> str:
    """Sign `claims` into a compact JWT whose header names the algorithm and the key id."""
    header = {"alg": algorithm_for(key), "kid": key_id(key.public_key())}
    signing_input = f"{_b64json(header)}.{_b64json(claims)}".encode("ascii")
    return f"{signing_input.decode('ascii')}.{_b64encode(_sign(key, signing_input))}"


def looks_like_jwt(token: str) -> bool:
    """Cheap shape test so other token kinds skip JWT parsing."""
    return token.count(".") == _SEGMENTS - 1 and token.startswith("eyJ")


def decode_unverified_claims(token: str) -> dict[str, Any]:
    """The payload without checking the signature: only to route a token to its verifier."""
    return _decode_segments(token)[1]


def decode(token: str, keys: Sequence[VerificationKey]) -> dict[str, Any]:
    """Verify the signature against one of `keys` and return the claims.

    The header's `kid`, when present, selects the key; otherwise each key of the header's
    algorithm is tried (tokens signed before a key rotation stay valid while the old key is
    still listed).
    """
    header, claims, signing_input, signature = _decode_segments(token)
    algorithm = header.get("alg")
    if algorithm not in (RS256, ES256):
        raise TokenError(f"unsupported token signing algorithm {algorithm!r}")
    candidates = [key for key in keys if algorithm_for(key) == algorithm]
    kid = header.get("kid")
    if kid:
        candidates = [key for key in candidates if key_id(key) == kid]
    if not candidates:
        raise TokenError("the token was not signed by a known key")
    if not any(_verify(key, signature, signing_input) for key in candidates):
        raise TokenError("the token signature is invalid")
    return claims


def _decode_segments(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    parts = token.split(".")
    if len(parts) != _SEGMENTS:
        raise TokenError("a JWT has three dot-separated segments")
    header = _json_segment(parts[0], "header")
    claims = _json_segment(parts[1], "payload")
    try:
        signature = _b64decode(parts[2])
    except (binascii.Error, ValueError) as exc:
        raise TokenError("the token signature is not base64url") from exc
    return header, claims, f"{parts[0]}.{parts[1]}".encode("ascii"), signature


def _json_segment(segment: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(_b64decode(segment))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise TokenError(f"the token {what} is not base64url JSON") from exc
    if not isinstance(value, dict):
        raise TokenError(f"the token {what} is not a JSON object")
    return value


def _sign(key: SigningKey, data: bytes) -> bytes:
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    # JWS wants ECDSA signatures as raw r||s, not the DER that cryptography produces.
    r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(_ES256_COORDINATE_BYTES, "big") + s.to_bytes(_ES256_COORDINATE_BYTES, "big")


def _verify(key: VerificationKey, signature: bytes, data: bytes) -> bool:
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
            return True
        if len(signature) != 2 * _ES256_COORDINATE_BYTES:
            return False
        r = int.from_bytes(signature[:_ES256_COORDINATE_BYTES], "big")
        s = int.from_bytes(signature[_ES256_COORDINATE_BYTES:], "big")
        key.verify(encode_dss_signature(r, s), data, ec.ECDSA(hashes.SHA256()))
        return True
    except InvalidSignature:
        return False


def _b64json(value: Mapping[str, Any]) -> str:
    return _b64encode(json.dumps(value, separators=(",", ":"), sort_keys=True).encode())


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64int(value: int) -> str:
    return _b64encode(value.to_bytes((value.bit_length() + 7) // 8, "big"))


def _b64decode(segment: str) -> bytes:
    if "=" in segment:
        raise ValueError("padding is not allowed in base64url JWT segments")
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
