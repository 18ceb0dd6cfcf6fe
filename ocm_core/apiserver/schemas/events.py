"""Event, in its two served forms: core/v1 and events.k8s.io/v1 (stored separately here)."""

from __future__ import annotations

from typing import Final

from ocm_core.apiserver.schemas.meta import OBJECT_REFERENCE, kind_schema
from ocm_core.apiserver.schemas.vocabulary import (
    integer,
    obj,
    string,
    timestamp,
    with_description,
)

_SERIES: Final = obj(
    "EventSeries contain information on series of events, i.e. thing that was/is happening "
    "continuously for some time.",
    {
        "count": integer("Number of occurrences in this series up to the last heartbeat time."),
        "lastObservedTime": timestamp("Time of the last occurrence observed."),
    },
)
_EVENT_SOURCE: Final = obj(
    "EventSource contains information for an event.",
    {
        "component": string("Component from which the event is generated."),
        "host": string("Node name on which the event is generated."),
    },
)
_TYPE: Final = string(
    "Type of this event (Normal, Warning), new types could be added in the future."
)
_ACTION: Final = string("What action was taken/failed regarding to the regarding object.")
_EVENT_TIME: Final = timestamp("Time when this Event was first observed.")

CORE_EVENT: Final = kind_schema(
    "Event is a report of an event somewhere in the cluster.",
    {
        "involvedObject": with_description(
            OBJECT_REFERENCE, "The object that this event is about."
        ),
        "reason": string(
            "This should be a short, machine understandable string that gives "
            "the reason for the transition into the object's current status."
        ),
        "message": string("A human-readable description of the status of this operation."),
        "source": with_description(_EVENT_SOURCE, "The component reporting this event."),
        "firstTimestamp": timestamp("The time at which the event was first recorded."),
        "lastTimestamp": timestamp(
            "The time at which the most recent occurrence of this event was recorded."
        ),
        "count": integer("The number of times this event has occurred."),
        "type": _TYPE,
        "eventTime": _EVENT_TIME,
        "series": _SERIES,
        "action": _ACTION,
        "related": with_description(
            OBJECT_REFERENCE, "Optional secondary object for more complex actions."
        ),
        "reportingComponent": string("Name of the controller that emitted this Event."),
        "reportingInstance": string("ID of the controller instance."),
    },
)
EVENT: Final = kind_schema(
    "Event is a report of an event somewhere in the cluster.",
    {
        "eventTime": _EVENT_TIME,
        "series": _SERIES,
        "reportingController": string("The name of the controller that emitted this Event."),
        "reportingInstance": string("The ID of the controller instance."),
        "action": _ACTION,
        "reason": string("Why the action was taken. It is human-readable."),
        "regarding": with_description(OBJECT_REFERENCE, "The object this Event is about."),
        "related": with_description(
            OBJECT_REFERENCE, "Optional secondary object for more complex actions."
        ),
        "note": string("A human-readable description of the status of this operation."),
        "type": _TYPE,
        "deprecatedSource": with_description(
            _EVENT_SOURCE,
            "The deprecated field assuring backward compatibility with core.v1 Event type.",
        ),
        "deprecatedFirstTimestamp": timestamp(
            "The deprecated field assuring backward compatibility with core.v1 Event type."
        ),
        "deprecatedLastTimestamp": timestamp(
            "The deprecated field assuring backward compatibility with core.v1 Event type."
        ),
        "deprecatedCount": integer(
            "The deprecated field assuring backward compatibility with core.v1 Event type."
        ),
    },
)
