"""Rehearsal: a simulated practitioner who answers from a scenario, and the trainer's debrief.

`practitioner` chooses each answer; `session` stores a rehearsal's questions as a conversation in
mode 'rehearsal'; `debrief` counts exactly what was asked.
"""

from assistant.rehearsal.debrief import debrief, debrief_document
from assistant.rehearsal.practitioner import TRUST_LABELS, Memory, PastTurn, Reply, respond
from assistant.rehearsal.session import REHEARSAL_CASE_PREFIX, Rehearsal, start_rehearsal

__all__ = ["REHEARSAL_CASE_PREFIX", "TRUST_LABELS", "Memory", "PastTurn", "Rehearsal", "Reply", "debrief",
           "debrief_document", "respond", "start_rehearsal"]
