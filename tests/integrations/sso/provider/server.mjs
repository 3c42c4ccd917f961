// A real OpenID provider (panva's oidc-provider, OpenID-certified) on loopback, for the single
// sign-on tests only. It listens on 127.0.0.1 on a free port and prints one JSON line with its
// issuer when ready.
//
// What a test controls, and only through the provider's own HTTP endpoints:
// - clients: registered with dynamic client registration (POST /reg, RFC 7591), as an admin
//   registers Twoway at their identity provider;
// - who signs in: the login page at /interaction/<uid> takes the account's claims (sub, email,
//   email_verified, xms_edov, name, oid) the way a person would type their credentials at their company's
//   identity provider. Consent is granted at once, as for a first-party company app.
//
// PKCE is required of every client, so the tests fail if the relying party stops sending it.
import http from "node:http";
import crypto from "node:crypto";
import Provider from "oidc-provider";

const accounts = new Map();

function readForm(req) {
  return new Promise((resolve, reject) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk) => {
      body += chunk;
      if (body.length > 100_000) reject(new Error("form too large"));
    });
    req.on("end", () => resolve(Object.fromEntries(new URLSearchParams(body))));
    req.on("error", reject);
  });
}

function escapeHtml(value) {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const server = http.createServer();
server.listen(0, "127.0.0.1", () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    async findAccount(_ctx, id) {
      if (!accounts.has(id)) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, ...accounts.get(id) }) };
    },
    claims: {
      openid: ["sub"],
      // Entra ID sends no email_verified; its optional claim xms_edov says the tenant owns the
      // address's domain.
      email: ["email", "email_verified", "xms_edov"],
      // Entra ID's immutable object id travels in the ID token with the profile scope.
      profile: ["name", "oid"],
    },
    // Put the scope's claims into the ID token as well, as Entra ID does for oid.
    conformIdTokenClaims: false,
    cookies: { keys: [crypto.randomBytes(32).toString("hex")] },
    features: {
      devInteractions: { enabled: false },
      registration: { enabled: true },
    },
    pkce: { required: () => true },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    renderError(ctx, out) {
      ctx.type = "html";
      ctx.body = `<h1>${escapeHtml(out.error)}</h1><p>${escapeHtml(out.error_description)}</p>`;
    },
  });

  async function interaction(req, res) {
    const details = await provider.interactionDetails(req, res);
    const { uid, prompt, params } = details;
    if (req.method === "GET" && prompt.name === "login") {
      res.writeHead(200, { "content-type": "text/html" });
      res.end(
        `<h1>Sign in to the test identity provider</h1>` +
          `<form method="post" action="/interaction/${uid}">` +
          `<input name="sub"><input name="email"><input name="email_verified"><input name="xms_edov">` +
          `<input name="name"><input name="oid"><button>Sign in</button></form>`,
      );
      return;
    }
    if (req.method === "POST" && prompt.name === "login") {
      const form = await readForm(req);
      if (!form.sub) {
        res.writeHead(400, { "content-type": "text/plain" });
        res.end("sub is required");
        return;
      }
      const claims = { name: form.name || form.sub };
      if (form.email) claims.email = form.email;
      if (form.email_verified) claims.email_verified = form.email_verified === "true";
      if (form.xms_edov) claims.xms_edov = form.xms_edov === "true";
      if (form.oid) claims.oid = form.oid;
      accounts.set(form.sub, claims);
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId: form.sub } },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    if (prompt.name === "consent") {
      const grant = new provider.Grant({
        accountId: details.session.accountId,
        clientId: params.client_id,
      });
      grant.addOIDCScope(String(params.scope));
      const grantId = await grant.save();
      await provider.interactionFinished(
        req,
        res,
        { consent: { grantId } },
        { mergeWithLastSubmission: true },
      );
      return;
    }
    res.writeHead(400, { "content-type": "text/plain" });
    res.end(`unexpected prompt ${prompt.name}`);
  }

  const callback = provider.callback();
  server.on("request", (req, res) => {
    if (req.url.startsWith("/interaction/")) {
      interaction(req, res).catch((err) => {
        res.writeHead(500, { "content-type": "text/plain" });
        res.end(String(err));
      });
      return;
    }
    callback(req, res);
  });
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});

// The test process closes our stdin when it is done: stop with it, whatever happened to it.
process.stdin.resume();
process.stdin.on("end", () => process.exit(0));
