"""Contracts: one pydantic model per catalog message, the seed flow as data. No I/O.

The message classes are re-exported from their producers' modules by star imports, so that
no list names them by hand: a class added to one of these modules is
``helpline.catalog.<Name>`` (mypy sees it) and in ``MESSAGES`` (``registry``) at once. The
other names are re-exported explicitly (``import X as X``).
"""

from helpline.catalog.agents import *  # noqa: F403
from helpline.catalog.base import SERVICES as SERVICES
from helpline.catalog.base import CatalogMessage as CatalogMessage
from helpline.catalog.base import MessageKind as MessageKind
from helpline.catalog.conv_store import *  # noqa: F403
from helpline.catalog.delivery import *  # noqa: F403
from helpline.catalog.flow import Flow as Flow
from helpline.catalog.flow import FlowStep as FlowStep
from helpline.catalog.flow import seed_flow as seed_flow
from helpline.catalog.inbound import *  # noqa: F403
from helpline.catalog.rag import *  # noqa: F403
from helpline.catalog.registry import MESSAGES as MESSAGES
from helpline.catalog.registry import UnknownMessageError as UnknownMessageError
from helpline.catalog.registry import message_class as message_class
from helpline.catalog.registry import message_class_for_subject as message_class_for_subject
from helpline.catalog.registry import parse_message as parse_message
from helpline.catalog.templates import *  # noqa: F403
from helpline.catalog.types import MAX_TEXT_LENGTH as MAX_TEXT_LENGTH
from helpline.catalog.types import Attachment as Attachment
from helpline.catalog.types import Channel as Channel
from helpline.catalog.types import CustomerInfo as CustomerInfo
from helpline.catalog.types import MediaInfo as MediaInfo
from helpline.catalog.types import Turn as Turn
from helpline.catalog.types import normalise_phone as normalise_phone
