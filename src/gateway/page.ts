// GET /: one server-rendered page for a person in a browser (no build step, no external
// assets): the serving epoch and its committee with reputations, recent requests and their
// state, recent faults and slashes. It reloads itself every 10 seconds.
import type { Gateway } from "./server.js";

type Overview = Awaited<ReturnType<Gateway["overview"]>>;

const escape = (value: unknown): string =>
  String(value ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

const short = (text: string | null | undefined, keep = 10): string => {
  if (!text) return "";
  return text.length > 2 * keep + 1 ? `${text.slice(0, keep)}…${text.slice(-6)}` : text;
};

const stx = (micro: bigint | string | null | undefined): string => {
  if (micro === null || micro === undefined) return "";
  const n = BigInt(micro);
  const whole = n / 1_000_000n;
  const frac = (n % 1_000_000n).toString().padStart(6, "0").replace(/0+$/, "");
  return `${whole}${frac ? `.${frac}` : ""} STX`;
};

function table(headers: string[], rows: string[][], empty: string): string {
  if (rows.length === 0) return `<p class="empty">${escape(empty)}</p>`;
  return `<table><thead><tr>${headers.map((h) => `<th>${escape(h)}</th>`).join("")}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join("")}</tr>`)
    .join("")}</tbody></table>`;
}

export function renderPage(overview: Overview | null, error: string | null): string {
  const body: string[] = [];
  if (error || !overview) {
    body.push(`<p class="error">The node cannot be read: ${escape(error ?? "unknown error")}</p>`);
  } else {
    body.push(
      `<section><h2>Epoch ${escape(overview.epoch)}</h2>` +
        (overview.epoch === 0
          ? `<p class="empty">No epoch is active yet.</p>`
          : `<p>Threshold <b>${escape(overview.threshold)}</b> of <b>${escape(overview.committee.length)}</b> · group key <code title="${escape(overview.group_public_key)}">${escape(short(overview.group_public_key, 14))}</code></p>` +
            table(
              ["#", "signer", "reputation", "stake", "partials (valid/total)", "slashes", "status"],
              overview.committee.map((m) => [
                escape(m.index),
                `<code title="${escape(m.signer)}">${escape(m.signer)}</code>`,
                m.reputation === null ? "" : `${escape((m.reputation / 100).toFixed(2))}%`,
                escape(stx(m.stake)),
                `${escape(m.valid_signatures)}/${escape(m.total_signatures)}`,
                m.slashes ? `${escape(m.slashes)} (${escape(stx(m.slashed))})` : "0",
                escape(m.status),
              ]),
              "The committee is empty.",
            )) +
        `</section>`,
    );
    body.push(
      `<section><h2>Recent requests</h2>` +
        table(
          ["request id", "status", "partials", "requested at", "finalized at", "latency (blocks)", "fee"],
          overview.requests.map((r) => [
            `<a href="/status/${escape(r.request_id)}"><code>${escape(short(r.request_id, 12))}</code></a>`,
            `<span class="s-${escape(r.status)}">${escape(r.status)}</span>${r.status === "finalized" || r.status === "settled" ? ` · <a href="/signature/${escape(r.request_id)}">signature</a>` : ""}`,
            `${escape(r.partials)}/${escape(r.threshold)}`,
            escape(r.requested_at),
            escape(r.finalized_at ?? ""),
            escape(r.latency_blocks ?? ""),
            escape(stx(r.fee)),
          ]),
          "No requests yet.",
        ) +
        `</section>`,
    );
    body.push(
      `<section><h2>Recent faults</h2>` +
        table(
          ["block", "kind", "signer", "request", "detail"],
          overview.faults.map((f) => [escape(f.blockHeight), escape(f.kind), `<code>${escape(f.signer ?? "")}</code>`, `<code>${escape(short(f.messageHash, 10))}</code>`, escape(f.detail)]),
          "No faults seen.",
        ) +
        `</section>`,
    );
    body.push(
      `<section><h2>Recent slashes</h2>` +
        table(
          ["block", "signer", "reason", "amount", "request"],
          overview.slashes.map((s) => [escape(s.blockHeight), `<code>${escape(s.signer)}</code>`, escape(s.reason), escape(stx(s.amount)), `<code>${escape(short(s.messageHash, 10))}</code>`]),
          "No slashes.",
        ) +
        `</section>`,
    );
    body.push(`<p class="foot">Events followed up to block ${escape(overview.synced_to)} · JSON: <a href="/health">/health</a> <a href="/overview">/overview</a> <a href="/metrics">/metrics</a></p>`);
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>DTS gateway</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:1.5rem auto;max-width:72rem;padding:0 1rem;color:#1d2330}
h1{font-size:1.4rem;margin:0 0 .2rem}h2{font-size:1.1rem;margin:1.4rem 0 .4rem}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.25rem .5rem;border-bottom:1px solid #e3e6ec}
th{background:#f4f6f9;font-weight:600}code{font-size:12px}.empty,.foot{color:#6b7385}.error{color:#b3261e;font-weight:600}
.s-pending,.s-aggregating{color:#8a6d00}.s-finalized,.s-settled{color:#1b7f3b}.s-expired,.s-refunded{color:#b3261e}
#health{color:#6b7385}
</style></head>
<body><h1>DTS threshold signing gateway</h1><p id="health">…</p>
${body.join("\n")}
<script>
fetch("/health").then(r=>r.json()).then(h=>{document.getElementById("health").textContent=h.status==="unavailable"?"node unreachable":
"tip "+h.chain_tip+" · epoch "+h.current_epoch+" · account "+h.account.address+" holds "+(Number(h.account.balance)/1e6)+" STX"+(h.contract.paused?" · PAUSED":"")}).catch(()=>{});
setTimeout(()=>location.reload(),10000);
</script>
</body></html>
`;
}
