// Markdown → sanitized HTML for model answers (marked + DOMPurify). Code blocks get a copy button.

import DOMPurify from "dompurify";
import { Marked } from "marked";

const marked = new Marked({ gfm: true, breaks: true, async: false });

/** Closes an unterminated code fence so a half-streamed answer still renders as code. */
export function closeOpenFence(src: string): string {
  const fences = src.match(/^\s{0,3}(```|~~~)/gm);
  return fences && fences.length % 2 === 1 ? `${src}\n\`\`\`` : src;
}

export function renderMarkdown(src: string): string {
  const html = marked.parse(closeOpenFence(src)) as string;
  const clean = DOMPurify.sanitize(html, { USE_PROFILES: { html: true } });
  // Links open outside the panel; code blocks get a copy button (added after sanitizing).
  return clean
    .replace(/<a /g, '<a target="_blank" rel="noopener noreferrer" ')
    .replace(/<pre>/g, '<div class="code-block"><button type="button" class="code-copy" data-copy-code>Copy</button><pre>')
    .replace(/<\/pre>/g, "</pre></div>");
}
