"""The steps of an Engage flow, derived from the flow's ID alone.

Every flow has 2 to 8 steps, opens with an email and contains at least one call, so
that call tasks generated from flow instances always have a step to point at.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from tap_gong_flows.simulator.model.hashing import digest, pick
from tap_gong_flows.simulator.model.ids import numeric_id
from tap_gong_flows.simulator.model.record import Record

StepAction = Literal[
    "SEND_EMAIL", "AUTO_SEND_EMAIL", "CALL", "LINKEDIN_CONNECT", "LINKEDIN_MESSAGE", "CUSTOM"
]
STEP_ACTIONS: tuple[StepAction, ...] = (
    "SEND_EMAIL",
    "AUTO_SEND_EMAIL",
    "CALL",
    "LINKEDIN_CONNECT",
    "LINKEDIN_MESSAGE",
    "CUSTOM",
)
EMAIL_ACTIONS: frozenset[str] = frozenset({"SEND_EMAIL", "AUTO_SEND_EMAIL"})
MIN_STEPS, MAX_STEPS = 2, 8
STEP_ID_NAMESPACE = "7314"
# Step IDs are numbered per flow ordinal in blocks wider than any flow's step count.
_STEPS_PER_FLOW_BLOCK = 16

_EMAIL_SUBJECTS = (
    "A thought on {{company}}'s outbound motion",
    "Quick idea for your pipeline reviews",
    "How teams like yours cut ramp time",
    "Is this on your radar for next quarter?",
    "Short note after your team's webinar visit",
    "Worth fifteen minutes?",
)
_OPENING_BODIES = (
    "Hi {{first_name}}, I noticed {{company}} is growing the sales team. "
    "Would a short walkthrough of how peers run their pipeline reviews help?",
    "Hi {{first_name}}, sharing a two-page summary of what similar teams changed "
    "in their first ninety days. Happy to talk it through.",
)
_FOLLOW_UP_BODIES = (
    "Hi {{first_name}}, bumping this up in case it got buried. "
    "Is there someone else on the team I should speak with?",
    "Hi {{first_name}}, one more idea: a ten-minute call to compare notes on ramp time. "
    "Does Thursday work?",
)
_CALL_TITLES = (
    "Intro call to qualify priorities",
    "Follow-up call on the recap email",
    "Check-in call before quarter end",
    "Call to book a discovery meeting",
)
_CALL_NOTES = (
    "Open with the recap email; ask who owns pipeline reviews; offer two meeting slots.",
    "Confirm the pain points from the last touch and ask about timing and budget.",
)
_CUSTOM_TITLES = (
    "Research recent company news",
    "Send a handwritten note",
    "Review the account in the CRM",
)


@dataclass(frozen=True)
class FlowStep:
    """One step of a flow; ``order`` starts at 1."""

    step_id: str
    order: int
    action: StepAction
    subject: str
    body: str
    is_reply: bool


def build_steps(flow_id: str, flow_ordinal: int) -> tuple[FlowStep, ...]:
    """The steps of the flow ``flow_id``; ``flow_ordinal`` keeps step IDs unique."""
    source = digest("flow-steps", flow_id)
    count = MIN_STEPS + source[0] % (MAX_STEPS - MIN_STEPS + 1)
    call_position = 1 + source[1] % (count - 1)
    actions: list[StepAction] = [pick(("AUTO_SEND_EMAIL", "SEND_EMAIL"), source[2])]
    for position in range(1, count):
        actions.append(
            "CALL" if position == call_position else pick(STEP_ACTIONS, source[2 + position])
        )
    first_subject = pick(_EMAIL_SUBJECTS, source[12])
    steps = []
    for position, action in enumerate(actions):
        draw = source[13 + position]
        is_reply = position > 0 and action in EMAIL_ACTIONS and draw % 2 == 0
        subject, body = _content(action, draw, first_subject, position, is_reply)
        step_id = numeric_id(STEP_ID_NAMESPACE, flow_ordinal * _STEPS_PER_FLOW_BLOCK + position)
        steps.append(FlowStep(step_id, position + 1, action, subject, body, is_reply))
    return tuple(steps)


def _content(
    action: StepAction, draw: int, first_subject: str, position: int, is_reply: bool
) -> tuple[str, str]:
    if action in EMAIL_ACTIONS:
        if position == 0:
            return first_subject, pick(_OPENING_BODIES, draw)
        subject = f"Re: {first_subject}" if is_reply else pick(_EMAIL_SUBJECTS, draw)
        return subject, pick(_FOLLOW_UP_BODIES, draw // 7)
    if action == "CALL":
        return pick(_CALL_TITLES, draw), pick(_CALL_NOTES, draw // 5)
    if action == "LINKEDIN_CONNECT":
        return "Connect on LinkedIn", "Hi {{first_name}}, glad to connect here as well."
    if action == "LINKEDIN_MESSAGE":
        return "LinkedIn message", "Hi {{first_name}}, did my note from last week reach you?"
    return pick(_CUSTOM_TITLES, draw), "Log what you find in the account notes."


def step_record(step: FlowStep) -> Record:
    """The step as ``POST /v2/flows/steps`` describes it."""
    return {
        "id": step.step_id,
        "stepOrder": step.order,
        "action": step.action,
        "subject": step.subject,
        "body": step.body,
        "isReply": step.is_reply,
    }
