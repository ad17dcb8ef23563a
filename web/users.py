"""账号 (admins only): the console's accounts, adding one and removing one, as `agent.py users` does."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from i18n import _
from store import USER_ROLES, ConstraintError, InvalidRecordError, UserRecord
from web.auth import PasswordTooShort, checked_form, hash_password, require_role
from web.console import flash, in_store, path_for, render, signed_in_user


async def list_users(request: Request) -> Response:
    require_role(await signed_in_user(request), "admin")
    users = await in_store(request, lambda store: store.users())
    return render(request, "users.html", users=users, roles=USER_ROLES)


async def add_user(request: Request) -> Response:
    require_role(await signed_in_user(request), "admin")
    form = await checked_form(request)
    name, role = str(form.get("name", "")).strip(), str(form.get("role", ""))
    password = str(form.get("password", ""))
    if password != form.get("password_again"):
        flash(request, _("The two passwords differ."))
        return RedirectResponse(path_for(request, "users"), status_code=303)
    try:
        record = UserRecord(name=name, role=role, password_hash=await run_in_threadpool(hash_password, password))
        await in_store(request, lambda store: store.add_user(record))
    except PasswordTooShort as short:
        flash(request, str(short))
    except InvalidRecordError:
        flash(request, _("A name is one word without spaces, and the role one of the list."))
    except ConstraintError:
        flash(request, _("There is already an account named {name}.", name=name))
    else:
        flash(request, _("Account {name} added.", name=name))
    return RedirectResponse(path_for(request, "users"), status_code=303)


async def remove_user(request: Request) -> Response:
    admin = require_role(await signed_in_user(request), "admin")
    await checked_form(request)
    name = request.path_params["name"]
    if name == admin.name:  # the last admin must not lock everyone out from the console by a slip
        flash(request, _("You cannot remove your own account here; use agent.py users remove."))
    elif await in_store(request, lambda store: store.remove_user(name)):
        flash(request, _("Account {name} removed.", name=name))
    return RedirectResponse(path_for(request, "users"), status_code=303)


routes = [
    Route("/users", list_users, methods=["GET"], name="users"),
    Route("/users", add_user, methods=["POST"]),
    Route("/users/{name}/remove", remove_user, methods=["POST"], name="remove_user"),
]
