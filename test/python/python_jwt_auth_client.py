"""A python-jwt-auth client, as its users write one with requests: sign up, log in, read the
user, log out, and see the token refused afterwards. Exits non-zero at the first surprise.

Usage: python_jwt_auth_client.py <base URL> <email>
"""
import sys

import requests

base, email = sys.argv[1], sys.argv[2]

r = requests.post(f"{base}/auth/signup", json={"email": email, "password": "b4l0u", "name": "Guillaume"})
assert r.status_code == 201, (r.status_code, r.text)
assert r.json()["status"] == "success" and r.json()["message"] == "User signed up successful.", r.text

r = requests.post(f"{base}/auth/login", json={"email": email, "password": "wrong"})
assert r.status_code == 401 and r.json() == {"status": "failed", "message": "Incorrect Password"}, r.text

r = requests.post(f"{base}/auth/login", json={"email": email.upper(), "password": "b4l0u"})
assert r.status_code == 200, (r.status_code, r.text)
token = r.json()["jwt_token"]
headers = {"Authorization": f"Bearer {token}"}

r = requests.get(f"{base}/auth/user", headers=headers)
assert r.status_code == 200, (r.status_code, r.text)
details = r.json()["details"]
assert details["email"] == email and details["name"] == "Guillaume" and details["admin"] is False, details
assert details["registered_on"].endswith(" GMT"), details

r = requests.post(f"{base}/auth/logout", headers=headers)
assert r.status_code == 200 and r.json() == {"status": "success", "message": "Logout Successful"}, r.text

r = requests.get(f"{base}/auth/user", headers=headers)
assert r.status_code == 401 and r.json() == {"status": "failed", "message": "JWT token is blocked. Please login again"}, r.text

print("ok")
