"""Accounts, for admins: list, add (the scrypt hash is made in the hashing pool), and
enable or disable (never oneself)."""

from typing import Any

from sanic import response
from sanic.request import Request

from bot.web.staff import auth, users
from bot.web.staff.console import StaffConsole, render
from bot.web.staff.models import ROLES


def register(bp: Any, console: StaffConsole) -> None:
    admin = console.page(role="admin")

    @bp.route("/staff/users", methods=["GET"], name="staff_users")
    @admin
    async def user_list(request: Request) -> Any:
        return render(request, "users.html", users=users.list_users(console.staff_db), roles=ROLES, error=None)

    @bp.route("/staff/users", methods=["POST"], name="staff_users_create")
    @admin
    async def user_create(request: Request) -> Any:
        form = request.form or {}
        try:
            await users.run_hashing(users.create_user, console.staff_db, form.get("email", ""),
                                    form.get("password", ""), role=form.get("role", "agent"),
                                    name=form.get("name") or None)
        except users.UserError as error:
            return render(request, "users.html", status=400, users=users.list_users(console.staff_db),
                          roles=ROLES, error=str(error))
        return response.redirect(f"{auth.staff_base(request)}/users", status=303)

    @bp.route("/staff/users/<user_id:int>/active", methods=["POST"], name="staff_users_active")
    @admin
    async def user_active(request: Request, user_id: int) -> Any:
        if user_id == request.ctx.staff_user.id:
            return response.text("You cannot disable yourself", status=400)
        users.set_active(console.staff_db, user_id, (request.form or {}).get("active") == "yes")
        return response.redirect(f"{auth.staff_base(request)}/users", status=303)
