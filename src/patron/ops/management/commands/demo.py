import os

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from patron.core.cli import patron_errors
from patron.customers.models import Customer
from patron.ops.management.commands.serve import served_at
from patron.portal.auth import sign_in_link
from patron.dashboard.roles import ROLES
from patron.dashboard.services import add_staff
from patron.ops.scoring import score_everything
from patron.demo.shop import exchange_rates, load, loyalty_program, paid_members
from patron.demo.voices import voices

CONSOLE_MAIL = "django.core.mail.backends.console.EmailBackend"


class Command(BaseCommand):
    help = (
        "Build a demo shop on the store (customers in lt, lv, et, ka and en with a realistic purchase "
        "history) and serve it. The same seed gives the same shop; dates end on the day it runs."
    )

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=20_000, help="how many customers (default 20,000)")
        parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
        parser.add_argument("--no-serve", action="store_true", help="build the shop and stop")
        parser.add_argument("--port", type=int, default=8000)

    def _portal_link(self) -> None:
        """A demo customer to try the member portal as, and a link that signs them in."""
        customer = (Customer.objects.filter(language="lt", erased_at__isnull=True).exclude(email="")
                    .order_by("pk").first()
                    or Customer.objects.filter(erased_at__isnull=True).exclude(email="").order_by("pk").first())
        if customer is None:
            return
        minutes = settings.PATRON_PORTAL_LINK_MINUTES
        self.stdout.write(f"member portal: sign in as {customer.email} ({customer.first_name}, {customer.language}): "
                          f"{sign_in_link(customer)}")
        self.stdout.write(f"  (the link works once, for {minutes} minutes; {settings.PATRON_BASE_URL}/portal/ sends another, "
                          "printed here when no SMTP server is set)")

    @patron_errors
    def handle(self, *args, customers: int, seed: int, no_serve: bool, port: int, **options):
        if customers < 1:
            raise CommandError("--customers must be at least 1", returncode=2)
        call_command("migrate", verbosity=0, interactive=False)
        for result in load(customers, seed):
            self.stdout.write(
                f"{result.kind}: imported {result.imported:,}, updated {result.updated:,}, "
                f"unchanged {result.unchanged:,}, rejected {result.rejected:,} in {result.seconds:.1f} s"
            )
        self.stdout.write(f"exchange rates: {exchange_rates(seed):,} daily GEL rates loaded (the ECB's are shipped)")
        program, awarded = loyalty_program()
        self.stdout.write(f"loyalty: {program.name}, points earned on {awarded:,} past orders, tiers and rewards set up")
        members, renewals = paid_members(program, seed)
        self.stdout.write(f"membership: {members:,} members of Patron Plus with {renewals:,} renewals (patron membership report)")
        said, tickets = voices(seed)
        self.stdout.write(f"feedback: {said.imported + said.updated + said.unchanged:,} survey answers, {tickets} complaints as tickets")
        scored = score_everything()
        self.stdout.write(f"scores: {scored.customers:,} customers scored; the dashboard's figures computed")
        for role in ROLES:  # one login per role, to see what each reaches
            user, password = add_staff(role, role, email=f"{role}@localhost")
            self.stdout.write(f"{role} login: {user.get_username()} / {password}")
        if not no_serve:
            served_at("127.0.0.1", port)  # the link below, and every link mailed, points to where the demo is served
        self._portal_link()
        if not no_serve:
            if not settings.EMAIL_HOST and not os.environ.get("PATRON_EMAIL_BACKEND"):
                # The demo's mail (sign-in links included) is printed here; `patron serve` alone never prints it.
                settings.EMAIL_BACKEND = os.environ["PATRON_EMAIL_BACKEND"] = CONSOLE_MAIL
            call_command("serve", port=port)
