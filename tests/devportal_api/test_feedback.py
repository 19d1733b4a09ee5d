"""Ratings and comments with replies."""

from tests.devportal_api.conftest import BASE, Portal


async def test_ratings_average_over_users_and_one_rating_per_user(portal: Portal) -> None:
    api = await portal.publish_api(name="Pizza")
    url = f"{BASE}/apis/{api['id']}"
    await portal.client.put(f"{url}/user-rating", json={"rating": 2}, headers=portal.headers("alice"))
    await portal.client.put(f"{url}/user-rating", json={"rating": 5}, headers=portal.headers("alice"))
    await portal.client.put(f"{url}/user-rating", json={"rating": 4}, headers=portal.headers("bob"))
    r = await portal.client.get(f"{url}/ratings", headers=portal.headers("alice"))
    assert r.json()["avgRating"] == "4.5"
    assert r.json()["userRating"] == 5
    assert (await portal.client.get(url)).json()["avgRating"] == "4.5"
    await portal.client.delete(f"{url}/user-rating", headers=portal.headers("bob"))
    assert (await portal.client.get(f"{url}/user-rating", headers=portal.headers("bob"))).status_code == 404
    assert (
        await portal.client.put(f"{url}/user-rating", json={"rating": 9}, headers=portal.headers())
    ).status_code == 400


async def test_comments_take_replies_and_only_the_author_edits(portal: Portal) -> None:
    api = await portal.publish_api(name="Pizza")
    url = f"{BASE}/apis/{api['id']}/comments"
    r = await portal.client.post(url, json={"content": "Great API"}, headers=portal.headers("alice"))
    assert r.status_code == 201
    comment = r.json()
    r = await portal.client.post(
        url, params={"replyTo": comment["id"]}, json={"content": "Agreed"}, headers=portal.headers("bob")
    )
    assert r.json()["parentCommentId"] == comment["id"]
    listed = (await portal.client.get(url)).json()
    assert listed["count"] == 1
    assert [c["content"] for c in listed["list"][0]["replies"]["list"]] == ["Agreed"]
    r = await portal.client.get(f"{url}/{comment['id']}/replies")
    assert r.json()["count"] == 1
    r = await portal.client.patch(
        f"{url}/{comment['id']}", json={"content": "Hijacked"}, headers=portal.headers("bob")
    )
    assert r.status_code == 403
    r = await portal.client.patch(
        f"{url}/{comment['id']}", json={"content": "Great API!"}, headers=portal.headers("alice")
    )
    assert r.json()["content"] == "Great API!"
    assert (
        await portal.client.delete(f"{url}/{comment['id']}", headers=portal.headers("bob"))
    ).status_code == 403
    assert (
        await portal.client.delete(f"{url}/{comment['id']}", headers=portal.headers("alice"))
    ).status_code == 200
    assert (await portal.client.get(url)).json()["count"] == 0


async def test_commenting_needs_a_token(portal: Portal) -> None:
    api = await portal.publish_api(name="Pizza")
    r = await portal.client.post(f"{BASE}/apis/{api['id']}/comments", json={"content": "hi"})
    assert r.status_code == 401


async def test_a_reply_offset_beyond_wso2s_int_range_is_400(portal: Portal) -> None:
    api = await portal.publish_api()
    headers = portal.headers()
    comment = await portal.client.post(
        f"{BASE}/apis/{api['id']}/comments", json={"content": "Tasty", "category": "general"}, headers=headers
    )
    replies = f"{BASE}/apis/{api['id']}/comments/{comment.json()['id']}/replies"
    r = await portal.client.get(replies, params={"offset": 23_000_000_000_000_000_000_000}, headers=headers)
    assert r.status_code == 400, r.text
    assert [e["message"] for e in r.json()["error"]] == ["offset"]
