import { describe, expect, it } from "vitest";
import {
  documentText,
  htmlToText,
  normaliseText,
} from "#shared/observe/vendor-document/document-text";

describe("documentText", () => {
  it("reduces an HTML page to its text: blocks on lines, cells apart by tabs, scripts dropped", () => {
    const html = `<!doctype html><html><head><title>x</title><style>p{}</style></head><body>
      <h1>Ports &amp; protocols</h1><script>track()</script>
      <p>Updates (TCP&nbsp;80, outbound)</p>
      <ul><li>sn60.mailshell.net</li><li>*.apc.avira.com</li></ul>
      <table><tr><th>Host</th><th>Port</th></tr><tr><td>a.example.com</td><td>443</td></tr></table>
      <!-- a comment --><p>caf&#233; &#x2014; done</p></body></html>`;
    expect(documentText(html, "text/html; charset=utf-8")).toBe(
      [
        "Ports & protocols",
        "Updates (TCP 80, outbound)",
        "- sn60.mailshell.net",
        "- *.apc.avira.com",
        "Host\tPort",
        "a.example.com\t443",
        "café — done",
        "",
      ].join("\n"),
    );
  });

  it("gives the same text for markup-only changes", () => {
    const a = htmlToText('<div class="a"><p>host.example.com</p></div>');
    const b = htmlToText('<div class="b" data-x="1">\n  <p  id="n">host.example.com</p>\n</div>');
    expect(normaliseText(a)).toBe(normaliseText(b));
  });

  it("keeps plain text as it is, with CRLF, trailing spaces and blank runs normalised", () => {
    expect(documentText("\r\na  \r\n\r\n\r\nb\r\n\r\n", "text/plain")).toBe("a\n\nb\n");
  });
});
