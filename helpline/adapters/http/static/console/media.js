// helpline agent console: customers' files on transcript lines. The agent API serves them
// only with the agent's bearer token, so an image is fetched and shown from a blob: URL and
// a document's link downloads through the same authenticated fetch.
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
