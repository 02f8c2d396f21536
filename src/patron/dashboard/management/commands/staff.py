from django.core.management.base import BaseCommand

from patron.core.cli import patron_errors
from patron.dashboard import roles, services


class Command(BaseCommand):
    help = "Staff accounts: add one with a role (admin, marketer, support, analyst); the password is printed once."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="create a staff member, or give an existing one a new role and password")
        add.add_argument("username")
        add.add_argument("--role", required=True, choices=roles.ROLES)
        add.add_argument("--email", default="")

    @patron_errors
    def handle(self, *args, action, username, role, email, **options):
        user, password = services.add_staff(username, role, email=email)
        self.stdout.write(f"{user.get_username()} ({role}): password {password}")
