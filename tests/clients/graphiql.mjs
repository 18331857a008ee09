// GraphiQL at /graphql in a real Chromium (Debian's, driven by playwright-core), as a
// front-end developer uses it: the page renders, Docs lists Query's fields, a query runs
// with the bearer token typed in the Headers tab, a subscription receives an event.
// Every request to another host than the server under test is refused.
//
// env: FAMILLE_URL (http://host:port), TOKEN, QUERY, SUBSCRIPTION, CHROMIUM (executable)
// stdout: {"step": "subscribed", ...page results}; after "go" on stdin,
//         {"step": "done", "event": ...}
import { chromium } from "playwright-core";

import { emit, nextLine, run, setting, within } from "./harness.mjs";

const url = setting("FAMILLE_URL");
const host = new URL(url).host;

const QUERY_EDITOR = ".graphiql-query-editor .CodeMirror";
const HEADERS_EDITOR = ".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror";
const RESPONSE = ".graphiql-response .CodeMirror";

/** The text of a CodeMirror 5 editor (GraphiQL 3's editors). */
function editorText(page, selector) {
  return page.$eval(selector, (element) => element.CodeMirror.getValue());
}

/** Types `text` into an editor, with the keyboard, over what it held. */
async function typeInto(page, selector, text) {
  await page.click(selector);
  await page.keyboard.press("Control+A");
  await page.keyboard.press("Delete");
  await page.keyboard.type(text);
  // GraphiQL closes brackets and quotes as one types (the typed closing one steps over
  // them), and may leave its autocompletion open: close it, then check what is there.
  await page.keyboard.press("Escape");
  const typed = await editorText(page, selector);
  if (typed !== text) {
    throw new Error(`typed ${JSON.stringify(text)}, editor has ${JSON.stringify(typed)}`);
  }
}

/** Types a query, then waits as a person would for GraphiQL to have read it: it parses the
 * editor 100 ms after the last key (before that, ▶ runs the previous document, and a
 * subscription would go over HTTP), then the page puts it in the address (?q=). */
async function typeQuery(page, text) {
  await typeInto(page, QUERY_EDITOR, text);
  await page.waitForFunction(
    (text) => new URLSearchParams(window.location.search).get("q") === text,
    text,
  );
}

/** The response pane, parsed as JSON, once it holds `needle`. */
async function response(page, needle, what) {
  const handle = await page
    .waitForFunction(
      ([selector, needle]) => {
        const text = document.querySelector(selector)?.CodeMirror?.getValue() ?? "";
        return text.includes(needle) ? text : null;
      },
      [RESPONSE, needle],
      { timeout: 30_000, polling: 100 },
    )
    .catch(async (error) => {
      const shown = await editorText(page, RESPONSE).catch(() => "(no response pane)");
      throw new Error(`${what}: ${error.message}; the response pane shows ${shown}`);
    });
  return JSON.parse(await handle.jsonValue());
}

run(async () => {
  const browser = await chromium.launch({
    executablePath: setting("CHROMIUM"),
    headless: true,
    // root in CI: Chromium's sandbox needs user namespaces it may not have there
    args: ["--no-sandbox"],
  });
  try {
    const context = await browser.newContext();
    const refused = [];
    await context.route("**/*", (route) => {
      const requested = new URL(route.request().url());
      if (requested.host === host) return route.continue();
      refused.push(requested.href);
      return route.abort("blockedbyclient");
    });
    const page = await context.newPage();
    const pageErrors = [];
    const consoleErrors = [];
    const websockets = [];
    page.on("pageerror", (error) => pageErrors.push(error.message));
    page.on("console", (message) => {
      if (message.type() === "error") consoleErrors.push(message.text());
    });
    page.on("websocket", (socket) => websockets.push(socket.url()));

    // the page renders: GraphiQL's editor replaces « Chargement… »
    await page.goto(`${url}/graphql`);
    await page.waitForSelector(QUERY_EDITOR, { timeout: 30_000 }).catch((error) => {
      throw new Error(`GraphiQL did not render (page errors: ${pageErrors}): ${error.message}`);
    });
    const welcome = await editorText(page, QUERY_EDITOR);

    // the Docs explorer lists Query's fields
    await page.click('[aria-label="Show Documentation Explorer"]');
    await page.click('.graphiql-doc-explorer a.graphiql-doc-explorer-type-name:text-is("Query")');
    await page.waitForSelector(".graphiql-doc-explorer-field-name");
    const queryFields = await page.$$eval(".graphiql-doc-explorer-field-name", (fields) =>
      fields.map((field) => field.textContent),
    );

    // a query typed in the editor runs with the token typed in the Headers tab
    await page.click('.graphiql-editor-tools button:text-is("Headers")');
    await typeInto(page, HEADERS_EDITOR, `{"Authorization": "Bearer ${setting("TOKEN")}"}`);
    await typeQuery(page, setting("QUERY"));
    await page.click(".graphiql-execute-button");
    const queryResult = await response(page, '"data"', "query");

    // a subscription typed in the editor waits for events (the test waits until the server
    // has it, then books a day over HTTP)
    await typeQuery(page, setting("SUBSCRIPTION"));
    await page.click(".graphiql-execute-button");
    emit({ step: "subscribed", welcome, queryFields, queryResult, pageErrors, consoleErrors });
    if ((await within(60, "go on stdin", nextLine())) !== "go") throw new Error("no go");
    const event = await response(page, "calendarChanges", "event");
    emit({ step: "done", event, pageErrors, consoleErrors, refused, websockets });
  } finally {
    await browser.close();
  }
});
