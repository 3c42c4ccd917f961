"""The people one has blocked."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from twoway.accounts.access import OrgRequest, org_view
from twoway.people.access import me as _me
from twoway.people.models import Person
from twoway.programs import services
from twoway.programs.models import (
    Block,
)


@org_view()
def blocks(request: OrgRequest) -> HttpResponse:
    me = _me(request)
    rows = Block.objects.filter(person=me).select_related("blocked").order_by("blocked__name")
    return render(request, "programs/blocks.html", {"blocks": rows})


@require_POST
@org_view()
def block_add(request: OrgRequest, person_id: int) -> HttpResponse:
    me = _me(request)
    other = get_object_or_404(Person, pk=person_id, organization=request.org)
    try:
        services.block_add(person=me, blocked=other)
        messages.success(request, f"You will not be matched with {other.name}. They are not told.")
    except services.ProgramError as exc:
        messages.error(request, str(exc))
    return redirect("blocks", org_slug=request.org.slug)


@require_POST
@org_view()
def block_remove(request: OrgRequest, person_id: int) -> HttpResponse:
    services.block_remove(person=_me(request), blocked_id=person_id)
    messages.success(request, "Removed from your list.")
    return redirect("blocks", org_slug=request.org.slug)
