"""Decodes access tokens exactly as a Flask-JWT-Extended 4.x resource server configured with
JWT_ALGORITHM, JWT_PUBLIC_KEY (PEM), JWT_DECODE_AUDIENCE and JWT_DECODE_ISSUER does
(flask_jwt_extended/tokens.py _decode_jwt, view_decorators.py), with PyJWT itself.

Reads {"jwks", "algorithm", "audience", "issuer", "tokens": [...]} on stdin; writes, per
token, {"ok": true, "claims"} or {"ok": false, "error": "<exception class>"}.
"""
import json
import sys

import jwt
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


def pem_of(jwk):
    """The JWKS key as the PEM an operator pastes into JWT_PUBLIC_KEY."""
    key = jwt.PyJWK(jwk).key
    return key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()


def decode(token, pem, request):
    # flask_jwt_extended.tokens._decode_jwt: verify_aud only when an audience is configured.
    decoded = jwt.decode(
        token,
        pem,
        algorithms=[request["algorithm"]],
        audience=request["audience"],
        issuer=request["issuer"],
        leeway=0,
        options={"verify_aud": request["audience"] is not None},
    )
    if "sub" not in decoded:
        raise jwt.InvalidTokenError("Missing claim: sub")
    # JWT_VERIFY_SUB (4.7+, with PyJWT 2.10's rule): the identity must be a string.
    if not isinstance(decoded["sub"], str):
        raise jwt.InvalidTokenError("Subject must be a string")
    decoded.setdefault("type", "access")
    decoded.setdefault("fresh", False)
    decoded.setdefault("jti", None)
    # view_decorators.verify_jwt_in_request(): an access route takes only access tokens.
    if decoded["type"] != "access":
        raise jwt.InvalidTokenError("WrongTokenError")
    return decoded


def main():
    request = json.load(sys.stdin)
    keys = {jwk["kid"]: pem_of(jwk) for jwk in request["jwks"]["keys"]}
    results = []
    for token in request["tokens"]:
        try:
            kid = jwt.get_unverified_header(token)["kid"]
            results.append({"ok": True, "claims": decode(token, keys[kid], request)})
        except Exception as error:  # noqa: BLE001 - the class name is the answer
            results.append({"ok": False, "error": type(error).__name__})
    json.dump(results, sys.stdout)


main()
