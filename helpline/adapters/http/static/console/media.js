// helpline agent console: customers' files on transcript lines. The agent API serves them
// only with the agent's bearer token, so an image is fetched and shown from a blob: URL and
// a document's link downloads through the same authenticated fetch. An agent's file is
// uploaded when the reply is sent, and the reply names it.
"use strict";

const mediaUrls = new Map();  // API path -> Promise of a blob: URL (fetched once per page)

function mediaBlobUrl(path) {
  if (!mediaUrls.has(path)) {
    mediaUrls.set(path, (async () => {
      const response = await fetch("/api/v1" + path,
                                   { headers: { Authorization: "Bearer " + session.token } });
      if (!response.ok) throw new Error("HTTP " + response.status);
      return URL.createObjectURL(await response.blob());
    })());
  }
  const found = mediaUrls.get(path);
  found.catch(() => mediaUrls.delete(path));  // a failure may be tried again later
  return found;
}

function sizeText(bytes) {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${bytes} bytes`;
}

const MEDIA_WORDS = { image: "Image", sticker: "Sticker", audio: "Audio", video: "Video",
                      document: "Document" };

/** The node showing a line's file: an image inline, anything else a download link. */
function mediaEl(media) {
  const box = el("div", "media");
  if (media.kind === "image" || media.kind === "sticker") {
    const img = el("img", "media-image");
    img.alt = `${MEDIA_WORDS[media.kind]} from the customer`;
    mediaBlobUrl(media.url).then((src) => { img.src = src; }).catch(() => {
      box.replaceChildren(el("span", "media-missing", "The image could not be loaded."));
    });
    box.append(img);
    return box;
  }
  const name = media.filename || `${(MEDIA_WORDS[media.kind] || "File").toLowerCase()} file`;
  const link = el("a", "media-download", `${MEDIA_WORDS[media.kind] || "File"}: ${name}`);
  link.href = "#";
  link.download = name;
  link.addEventListener("click", async (event) => {
    if (link.dataset.ready) return;  // the blob: URL is in place: let the browser save it
    event.preventDefault();
    try {
      link.href = await mediaBlobUrl(media.url);
      link.dataset.ready = "1";
      link.click();
    } catch (_) {
      link.replaceWith(el("span", "media-missing", "The file could not be downloaded."));
    }
  });
  box.append(link, el("span", "media-size", ` (${sizeText(media.size)}, download)`));
  return box;
}

/** The reply's body: its text and, when the agent chose a file, the uploaded file's id. */
async function replyBody(text) {
  const input = $("attach-file");
  const file = input && input.files && input.files[0];
  if (!file) return { text };
  const form = new FormData();
  form.append("file", file, file.name);
  let response;
  try {
    response = await fetch(`/api/v1/tickets/${state.ticket}/attachments`, {
      method: "POST", headers: { Authorization: "Bearer " + session.token }, body: form });
  } catch (_) {
    throw new ApiError(0, "The server cannot be reached. Check your connection.");
  }
  const data = await response.json().catch(() => ({}));
  if (response.status === 413) throw new ApiError(413, "That file is too large to send.");
  if (response.status === 415) {
    throw new ApiError(415, "Attach a JPEG or PNG image, or a PDF, text or Office document.");
  }
  if (!response.ok) throw new ApiError(response.status, errorSentence(response.status, data));
  return { text, attachment_id: data.attachment_id };
}

function clearAttachment() {
  const input = $("attach-file");
  if (input) input.value = "";
  showAttachmentName();
}

/** Say which file goes with the reply (the native input is hidden behind its label). */
function showAttachmentName() {
  const input = $("attach-file");
  const name = $("attach-name");
  if (!input || !name) return;
  const file = input.files && input.files[0];
  name.textContent = file ? file.name : "";
  name.hidden = !file;
}

document.addEventListener("DOMContentLoaded", () => {
  const input = $("attach-file");
  if (input) input.addEventListener("change", showAttachmentName);
});
