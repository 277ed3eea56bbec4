"""A client of the Flask-JWT-Extended course's API, with requests: register, log in, read the
user, refresh, log out, and see the tokens refused afterwards. Exits non-zero at the first
surprise.

Usage: flask_jwt_course_client.py <base URL> <username>
"""
import base64
import json
import sys

import requests

base, username = sys.argv[1], sys.argv[2]

r = requests.post(f"{base}/register", json={"username": username, "password": "1234"})
assert r.status_code == 201 and r.json() == {"message": "User created successfully."}, r.text

r = requests.post(f"{base}/register", json={"username": username, "password": "1234"})
assert r.status_code == 409 and r.json()["message"] == "A user with that username already exists.", r.text

r = requests.post(f"{base}/login", json={"username": username, "password": "nope"})
assert r.status_code == 401 and r.json() == {"code": 401, "message": "Invalid credentials.", "status": "Unauthorized"}, r.text

r = requests.post(f"{base}/login", json={"username": username, "password": "1234"})
assert r.status_code == 200, (r.status_code, r.text)
access, refresh = r.json()["access_token"], r.json()["refresh_token"]

# The user's id is the `sub` of their tokens.
user_id = json.loads(base64.urlsafe_b64decode(access.split(".")[1] + "=="))["sub"]
r = requests.get(f"{base}/user/{user_id}", headers={"Authorization": f"Bearer {access}"})
assert r.status_code == 200 and r.json() == {"id": user_id, "username": username}, r.text

r = requests.post(f"{base}/refresh", headers={"Authorization": f"Bearer {refresh}"})
assert r.status_code == 200 and list(r.json()) == ["access_token"], r.text
refreshed = r.json()["access_token"]

r = requests.post(f"{base}/refresh", headers={"Authorization": f"Bearer {refresh}"})
assert r.status_code == 401 and r.json() == {"description": "The token has been revoked.", "error": "token_revoked"}, r.text

# Replaying the used refresh token ended the session: log in again to log out.
r = requests.post(f"{base}/login", json={"username": username, "password": "1234"})
access = r.json()["access_token"]
r = requests.post(f"{base}/logout", headers={"Authorization": f"Bearer {access}"})
assert r.status_code == 200 and r.json() == {"message": "Successfully logged out"}, r.text

for token in (access, refreshed):
    r = requests.post(f"{base}/logout", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401 and r.json() == {"description": "The token has been revoked.", "error": "token_revoked"}, r.text

print("ok")
