"""One tree of errors with stable codes. Tests assert `code`; HTTP and the CLI map `status`."""


class PatronError(Exception):
    code = "patron_error"
    status = 400

    def __init__(self, message: str, **details):
        super().__init__(message)
        self.message = message
        self.details = details

    def body(self) -> dict:
        """The one error body every surface answers with: {code, message, details}."""
        return {"code": self.code, "message": self.message, "details": {k: str(v) for k, v in self.details.items()}}


class InvalidInput(PatronError):
    code = "invalid_input"
    status = 422


class NotFound(PatronError):
    code = "not_found"
    status = 404


class Conflict(PatronError):
    code = "conflict"
    status = 409


class CustomerNotFound(NotFound):
    code = "customer_not_found"


class OrderNotFound(NotFound):
    code = "order_not_found"


class CustomerErased(Conflict):
    code = "customer_erased"


class RefundExceedsOrder(Conflict):
    code = "refund_exceeds_order"


class ImportFileError(PatronError):
    """The file as a whole cannot be imported (unreadable, wrong columns): nothing is written."""

    code = "import_file_error"
    status = 400


class InsufficientPoints(Conflict):
    code = "insufficient_points"


class ProgramNotFound(NotFound):
    code = "program_not_found"


class RewardNotFound(NotFound):
    code = "reward_not_found"


class RewardOutOfStock(Conflict):
    code = "reward_out_of_stock"


class RewardNotAvailable(Conflict):
    code = "reward_not_available"


class CouponNotFound(NotFound):
    code = "coupon_not_found"


class CouponExpired(Conflict):
    code = "coupon_expired"


class CouponUsed(Conflict):
    code = "coupon_used"


class ReferralRefused(Conflict):
    code = "referral_refused"


class InvalidSegment(InvalidInput):
    """A segment's rules that cannot be compiled; `path` says where, e.g. rules.all[2].op."""

    code = "invalid_segment"


class SegmentNotFound(NotFound):
    code = "segment_not_found"


class JourneyNotFound(NotFound):
    code = "journey_not_found"


class JourneyNotReady(Conflict):
    """A journey that cannot run as configured (e.g. its gift reward is missing)."""

    code = "journey_not_ready"


class InvalidLink(PatronError):
    """An unsubscribe or preference link whose signature does not check out."""

    code = "invalid_link"
    status = 400


class PlanNotFound(NotFound):
    code = "plan_not_found"


class MembershipConflict(Conflict):
    """Joining a plan one already belongs to, cancelling what is not running, and the like."""

    code = "membership_conflict"


class MailFailed(PatronError):
    """The mail server could not be reached, or refused a message sent while someone waits for it."""

    code = "mail_failed"
    status = 502
