"""The addresses of the pages behind message links. Their names keep the namespaces the links are
made with (`messaging:unsubscribe`, `feedback:answer`), so every link already sent still works."""

from django.urls import path

from patron.portal import links

messages = ([
    path("unsubscribe/<str:token>/", links.unsubscribe, name="unsubscribe"),
    path("preferences/<str:token>/", links.preferences, name="preferences"),
], "messaging")

surveys = ([
    path("survey/<str:token>/", links.survey, name="answer"),
], "feedback")
