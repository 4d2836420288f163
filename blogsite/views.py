from django.http import HttpResponse  # placeholder until this module is written
from django.views import defaults


def robots_txt(request):
    return HttpResponse("User-agent: *\n", content_type="text/plain")


permission_denied = defaults.permission_denied
page_not_found = defaults.page_not_found
server_error = defaults.server_error
