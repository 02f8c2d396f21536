"""The signed-in staff member's language, chosen on their profile, wins over the browser's."""

from django.utils import translation

from patron.dashboard.models import StaffProfile


class StaffLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            language = request.session.get("staff_language")
            if language is None:
                language = StaffProfile.objects.filter(user=user).values_list("language", flat=True).first() or ""
                request.session["staff_language"] = language
            if language:
                request.LANGUAGE_CODE = language
                with translation.override(language):  # for this request only, not for the thread's next
                    return self.get_response(request)
        return self.get_response(request)
