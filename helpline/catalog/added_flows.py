"""The flows we added to the seed's, as data: a ticket closed (back to the AI), a send that
failed, the delivery statuses of a reply, a customer's media and an agent's attachment, told
as stories; and, for every other message the seed flow does not draw, a flow of its own
derived from the catalog (producer → message → consumers), so a new message is drawn without
an edit here. ``eventcatalog`` exports them beside the seed flow; message steps point at each
message's consumers."""

from __future__ import annotations

from helpline.catalog.base import CATALOG_VERSION, SERVICE_VERSION, CatalogMessage
from helpline.catalog.flow import Flow, FlowStep
from helpline.catalog.registry import MESSAGES, message_class

_SEND = "send-whatsapp-business-text-message"
#: The version of each flow we added.
FLOW_VERSION = CATALOG_VERSION


def added_flows() -> tuple[Flow, ...]:
    """The flows we added, in the order they are exported: the stories, then one flow for
    each message neither the seed flow nor a story draws."""
    stories = (_back_to_ai(), _reopened(), _send_failure(), _status_updates(),
               _media_received(), _attachment_sent(), _template_reply())
    drawn = {s.message[0] for f in stories for s in f.steps if s.message is not None}
    return (*stories, *(_single(m) for m in MESSAGES if not m.in_seed
                        and m.catalog_id not in drawn))


def _single(cls: type[CatalogMessage]) -> Flow:
    """A message's own flow: its producer, the message, its consumers."""
    consumers = tuple(c for c in cls.consumers if c != cls.producer)
    steps = (_svc(cls.producer, (cls.catalog_id, None)), _msg(cls.catalog_id),
             *(_svc(c) for c in consumers))
    return _story(f"{cls.catalog_id}-flow", cls.title, cls.summary, steps,
                  f"{cls.producer} publishes *{cls.title}*;",
                  f"{', '.join(cls.consumers)} consume{'s' * (len(cls.consumers) == 1)}",
                  f"it. {cls.summary}")


def _back_to_ai() -> Flow:
    steps = (
        *_agent_acts("agent_closes_ticket", "Agent closes the ticket",
                     "Resolution written in the agent console",
                     "ticket-closed", "The AI answers the next message"),
        _plain("customer_writes_again", "Customer writes again",
               ("ms-whatsapp", "Meta informs of a new message")),
        _svc("ms-whatsapp", ("whatsapp-business-text-message-received", None)),
        _msg("whatsapp-business-text-message-received"),
        _svc("ms-gateway", ("whatsapp-business-text-message-with-user-info-received", None)),
        _msg("whatsapp-business-text-message-with-user-info-received"),
        _svc("ms-conv-store",
             ("generate-ai-agent-answer-with-user-info", "No open ticket: the AI answers"),
             (_SEND, "Sends the AI answer on the active channel")),
        _msg("generate-ai-agent-answer-with-user-info"),
        _svc("ms-rag", ("ai-agent-answer-generated", None)),
        _msg("ai-agent-answer-generated"),
        _msg(_SEND),
    )
    return _story(
        "ticket-closed-back-to-ai", "Ticket closed: back to the AI agent",
        "A human agent closes the ticket; the AI agent answers the customer's next message.",
        steps,
        "When the agent closes the ticket, ms-agents publishes *Ticket Closed*;",
        "ms-conv-store logs it and the conversation has no open ticket any more, so",
        "the customer's next message goes to ms-rag again (not to ms-agents).")


def _reopened() -> Flow:
    steps = (
        *_agent_acts("agent_reopens_ticket", "Agent reopens the ticket",
                     "Reopen in the agent console",
                     "ticket-reopened", "The conversation has an open ticket again"),
        _svc("ms-conv-store", ("customer_writes_to_agent",
                               "The customer's next message goes to ms-agents, not ms-rag")),
        _plain("customer_writes_to_agent", "The agent answers the customer again"),
    )
    return _story(
        "ticket-reopened-back-to-agent", "Ticket reopened: back to the agent",
        "An agent reopens a closed ticket; the customer's next message goes to the agent.",
        steps,
        "When an agent (or the admin) reopens a closed ticket, ms-agents publishes",
        "*Ticket Reopened*; ms-conv-store logs it and the conversation has an open",
        "ticket again, so the customer's next message goes to ms-agents, not to ms-rag.")


def _send_failure() -> Flow:
    steps = (
        *_sent_by_whatsapp(_SEND, "Reply to the customer",
                           ("whatsapp_cloud_api", "POST /messages"),
                           ("whatsapp-business-text-message-send-failed",
                            "Permanent error, or retries spent")),
        _plain("whatsapp_cloud_api", "WhatsApp Cloud API",
               ("ms-whatsapp", "Error, e.g. 131047: 24-hour window closed")),
        _msg("whatsapp-business-text-message-send-failed",
             "Records the failed reply in the conversation"),
    )
    return _story(
        "whatsapp-send-failure", "WhatsApp send failure",
        "ms-whatsapp cannot deliver a reply; ms-conv-store records the failure.",
        steps,
        "ms-whatsapp retries transient Graph API errors. On a permanent error (for",
        "example 131047, the 24-hour customer-service window has closed) it publishes",
        "*Send Failed*; ms-conv-store records the reply as failed, once.")


def _status_updates() -> Flow:
    steps = (
        *_sent_by_whatsapp(_SEND, "Reply to the customer",
                           ("whatsapp_cloud_api", "POST /messages"),
                           ("whatsapp-business-text-message-sent", "Meta accepted it (wamid)"),
                           ("whatsapp-business-text-message-status-updated",
                            "Each status webhook")),
        _plain("whatsapp_cloud_api", "WhatsApp Cloud API",
               ("customer_reads_reply", "Delivers the message"),
               ("ms-whatsapp", "Status webhooks: sent, delivered, read, failed")),
        _plain("customer_reads_reply", "Customer reads the reply"),
        _msg("whatsapp-business-text-message-sent", "Records Meta's ids for the reply"),
        _msg("whatsapp-business-text-message-status-updated", "Records the delivery status"),
    )
    return _story(
        "whatsapp-status-updates", "WhatsApp status updates",
        "Meta reports sent, delivered and read for our replies; ms-conv-store records them.",
        steps,
        "*Sent* carries Meta's ids (wamids) for each reply; every later status",
        "webhook becomes *Status Updated*. Neither ever causes a send.")


def _media_received() -> Flow:
    steps = (
        _plain("customer_sends_file", "Customer sends a photo or a document",
               ("ms-whatsapp", "Meta informs of a media message")),
        _svc("ms-whatsapp", ("whatsapp_media_endpoint", "GET /{media-id}, then its url"),
             ("whatsapp-business-text-message-received", "media: stored, or why not")),
        _plain("whatsapp_media_endpoint", "WhatsApp Cloud API media endpoint",
               ("ms-whatsapp", "url, mime_type, sha256, file_size; the bytes")),
        _msg("whatsapp-business-text-message-received"),
        _svc("ms-gateway", ("whatsapp-business-text-message-with-user-info-received", None)),
        _msg("whatsapp-business-text-message-with-user-info-received"),
        _svc("ms-conv-store", (_SEND, "A file not stored: a plain-words reply; a caption "
                                      "goes to the AI")),
        _msg(_SEND),
    )
    return _story(
        "whatsapp-media-received", "A customer's media received",
        "ms-whatsapp fetches a customer's file into the media store before publishing it.",
        steps,
        "The webhook fetches the file through the media endpoint and keeps it by its",
        "SHA-256 within the size limit and the type allow-list; *media* on the message",
        "names the stored file or why it was refused (too large, a type we do not open,",
        "gone, damaged), and ms-conv-store then tells the customer in plain words.")


def _attachment_sent() -> Flow:
    steps = (
        *_agent_acts("agent_attaches_file", "Agent attaches an image or a document",
                     "Upload in the agent console, then reply",
                     "agent-answer-generated", published="attachment: the file's SHA-256"),
        *_sent_by_whatsapp(_SEND, "The reply with its attachment",
                           ("whatsapp_media_upload", "POST /{phone-number-id}/media, once"),
                           ("whatsapp-business-text-message-sent", "Sent by media id, once")),
        _plain("whatsapp_media_upload", "WhatsApp Cloud API", ("ms-whatsapp", "media id")),
        _msg("whatsapp-business-text-message-sent"),
    )
    return _story(
        "whatsapp-attachment-sent", "An agent's attachment sent",
        "ms-whatsapp uploads an agent's file and sends it by its media id, each step once.",
        steps,
        "The send ledger claims the upload (piece -1, completed with the media id) and",
        "the media message (piece 0) like the pieces of a text, so a redelivered",
        "*Send* command neither uploads nor sends again.")


def _template_reply() -> Flow:
    steps = (
        *_agent_acts("agent_picks_template", "Agent picks an approved template",
                     "The customer's 24-hour window has closed",
                     "agent-template-answer-generated", "Records the agent's template answer"),
        *_sent_by_whatsapp("send-whatsapp-business-template-message",
                           "Sends the template on the active channel",
                           ("whatsapp_cloud_api", "POST /messages, type: template"),
                           ("whatsapp-business-text-message-sent", "Meta accepted it (wamid)"),
                           ("whatsapp-business-text-message-send-failed",
                            "e.g. 132000: wrong parameters")),
        _plain("whatsapp_cloud_api", "WhatsApp Cloud API",
               ("ms-whatsapp", "Accepts it, or refuses with 132000 / 132001")),
        _msg("whatsapp-business-text-message-sent", "Records Meta's id for the reply"),
        _msg("whatsapp-business-text-message-send-failed",
             "Shows Meta's reason in the conversation"),
    )
    return _story(
        "whatsapp-template-reply", "Template reply after the 24-hour window",
        "Outside the customer service window an agent answers with an approved template.",
        steps,
        "Free text is refused once the customer's last message is 24 hours old. The",
        "agent answers with an approved template (synced from the Graph API);",
        "ms-whatsapp sends it once, through the same send ledger as a text, and reports",
        "*Sent* or *Send Failed* with Meta's reason.")


def _story(flow_id: str, name: str, summary: str, steps: tuple[FlowStep, ...],
           *prose: str) -> Flow:
    """A flow of ours (version :data:`FLOW_VERSION`): its prose, then the graph."""
    return Flow(flow_id, name, FLOW_VERSION, summary, steps,
                "\n" + " ".join(prose) + "\n\n<NodeGraph />\n")


def _agent_acts(step_id: str, title: str, how: str, message: str, label: str | None = None,
                published: str | None = None) -> tuple[FlowStep, ...]:
    """An agent acts in the console (step ``step_id``, its arrow to ms-agents labelled
    ``how``) and ms-agents publishes ``message`` (that arrow labelled ``published``; the
    message's arrows to its consumers ``label``)."""
    return (_plain(step_id, title, ("ms-agents", how)), _svc("ms-agents", (message, published)),
            _msg(message, label))


def _sent_by_whatsapp(command: str, label: str,
                      *whatsapp_nexts: tuple[str, str | None]) -> tuple[FlowStep, ...]:
    """ms-conv-store sends ``command`` (its arrow labelled ``label``) and ms-whatsapp carries
    it out (``whatsapp_nexts``: the arrows leaving ms-whatsapp)."""
    return (_svc("ms-conv-store", (command, label)), _msg(command),
            _svc("ms-whatsapp", *whatsapp_nexts))


def _svc(service: str, *nexts: tuple[str, str | None]) -> FlowStep:
    return FlowStep(service, service, (service, SERVICE_VERSION), None, tuple(nexts))


def _msg(catalog_id: str, label: str | None = None) -> FlowStep:
    """A message step whose arrows go to the message's consumers."""
    cls = message_class(catalog_id)
    nexts = tuple((c, label) for c in cls.consumers)
    return FlowStep(catalog_id, cls.title, None, (catalog_id, cls.catalog_version), nexts)


def _plain(step_id: str, title: str, *nexts: tuple[str, str | None]) -> FlowStep:
    return FlowStep(step_id, title, None, None, tuple(nexts))

