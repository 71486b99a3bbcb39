"""cutover as an OpenFeature provider (the ``openfeature-sdk`` package)::

    from openfeature import api
    from cutover.openfeature import CutoverProvider

    api.set_provider(CutoverProvider(client))
    api.get_client().get_boolean_value("checkout", False, EvaluationContext("u42"))

A cutover flag is a boolean to OpenFeature (``True`` = the new path), with variant ``legacy`` or
``new``, the OpenFeature reason of the decision, and the flag version and cutover's own reason
as flag metadata. Asking for another type is a type mismatch; an unknown flag is
``FLAG_NOT_FOUND``. The decision is the client's (local evaluation, as ``client.decide``).
"""

from __future__ import annotations

from typing import Any, Mapping, Optional, Sequence, Union

from openfeature.evaluation_context import EvaluationContext
from openfeature.exception import FlagNotFoundError, TypeMismatchError
from openfeature.flag_evaluation import FlagResolutionDetails, Reason
from openfeature.provider import AbstractProvider, ProviderStatus
from openfeature.provider.metadata import Metadata

from cutover._native import Client

_SCALARS = (str, bool, int, float)


def _context(evaluation_context: Optional[EvaluationContext]) -> dict:
    """The attributes cutover rules can read: the targeting key as ``targetingKey`` (the last
    link of every stickiness chain) and every scalar attribute; dates and structures match no
    cutover rule and are left out."""
    ctx: dict = {}
    if evaluation_context is None:
        return ctx
    for name, value in evaluation_context.attributes.items():
        if isinstance(value, _SCALARS):
            ctx[name] = value
    if evaluation_context.targeting_key:
        ctx["targetingKey"] = evaluation_context.targeting_key
    return ctx


class CutoverProvider(AbstractProvider):
    """Answers OpenFeature boolean flags from a ``cutover.Client``."""

    def __init__(self, client: Client):
        super().__init__()
        self._client = client
        self._metadata = Metadata(name="cutover")

    def get_metadata(self) -> Metadata:
        return self._metadata

    def get_status(self) -> ProviderStatus:
        status = self._client.status()
        if status.connected or status.staleness is not None:
            return ProviderStatus.READY
        return ProviderStatus.NOT_READY

    def resolve_boolean_details(
        self,
        flag_key: str,
        default_value: bool,
        evaluation_context: Optional[EvaluationContext] = None,
    ) -> FlagResolutionDetails[bool]:
        decision = self._client.decide(flag_key, _context(evaluation_context))
        if decision.reason == "flag_not_found":
            raise FlagNotFoundError(f"cutover has no flag {flag_key!r}")
        return FlagResolutionDetails(
            value=decision.is_new,
            variant=decision.variant,
            reason=Reason(decision.openfeature_reason),
            flag_metadata={
                "flagVersion": decision.flag_version,
                "cutoverReason": decision.reason,
                "explanation": decision.explanation,
            },
        )

    def _mismatch(self, flag_key: str) -> FlagResolutionDetails[Any]:
        raise TypeMismatchError(
            f"cutover flag {flag_key!r} is a boolean (True = the new path); ask for a boolean"
        )

    def resolve_string_details(
        self,
        flag_key: str,
        default_value: str,
        evaluation_context: Optional[EvaluationContext] = None,
    ) -> FlagResolutionDetails[str]:
        return self._mismatch(flag_key)

    def resolve_integer_details(
        self,
        flag_key: str,
        default_value: int,
        evaluation_context: Optional[EvaluationContext] = None,
    ) -> FlagResolutionDetails[int]:
        return self._mismatch(flag_key)

    def resolve_float_details(
        self,
        flag_key: str,
        default_value: float,
        evaluation_context: Optional[EvaluationContext] = None,
    ) -> FlagResolutionDetails[float]:
        return self._mismatch(flag_key)

    def resolve_object_details(
        self,
        flag_key: str,
        default_value: Union[Sequence[Any], Mapping[str, Any]],
        evaluation_context: Optional[EvaluationContext] = None,
    ) -> FlagResolutionDetails[Union[Sequence[Any], Mapping[str, Any]]]:
        return self._mismatch(flag_key)
