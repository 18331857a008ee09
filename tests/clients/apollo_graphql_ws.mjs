// A front end as the ecosystem writes one: Apollo Client over HTTP (login, calendar,
// booking) and the graphql-ws client on the websocket (calendarChanges), in Node.
//
// env: FAMILLE_URL (http://host:port), TOWN, EMAIL, PASSWORD, HOUSEHOLD_ID, CHILD_ID,
//      ACTIVITY_ID, DAY (YYYY-MM-DD, bookable)
// stdout: {"step": "subscribed"}, then, after "go" on stdin, {"step": "done", ...results}
import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { SetContextLink } from "@apollo/client/link/context";
import { createClient } from "graphql-ws";
import WebSocket from "ws";

import { emit, nextLine, run, setting, within } from "./harness.mjs";

const LOGIN = gql`
  mutation Login($input: LoginInput!) {
    login(input: $input) {
      token
      errors { code message }
    }
  }
`;
const CALENDAR = gql`
  query Calendar($householdId: ID!, $from: Date!, $to: Date!) {
    calendar(householdId: $householdId, from: $from, to: $to) {
      child { id firstNames }
      activity { id code }
      days { date status canChange changeableUntil reason message }
    }
  }
`;
const SUBMIT = gql`
  mutation Submit($householdId: ID!, $input: BookingChangesInput!, $key: String) {
    submitBookingChanges(householdId: $householdId, input: $input, idempotencyKey: $key) {
      requestId
      lines { date outcome }
      errors { code message }
    }
  }
`;
const CALENDAR_CHANGES = `
  subscription CalendarChanges($householdId: ID!) {
    calendarChanges(householdId: $householdId) {
      kind householdId childId activityId dates requestId byStaff
    }
  }
`;

const url = setting("FAMILLE_URL");
const wsUrl = url.replace(/^http/, "ws") + "/graphql";
const householdId = setting("HOUSEHOLD_ID");
const day = setting("DAY");

let token = null;
const apollo = new ApolloClient({
  link: new SetContextLink((context) => ({
    headers: { ...context.headers, ...(token ? { authorization: `Bearer ${token}` } : {}) },
  })).concat(new HttpLink({ uri: `${url}/graphql` })),
  cache: new InMemoryCache(),
});

/** The first event of a subscription, or its errors as the client hands them over. */
function firstOutcome(client, query, variables) {
  return new Promise((resolve) => {
    const unsubscribe = client.subscribe(
      { query, variables },
      {
        next: (value) => {
          resolve({ next: value });
          unsubscribe();
        },
        error: (error) => resolve({ error: Array.isArray(error) ? error : String(error) }),
        complete: () => resolve({ complete: true }),
      },
    );
  });
}

run(async () => {
  // the parent logs in with Apollo Client
  const login = await apollo.mutate({
    mutation: LOGIN,
    variables: {
      input: { town: setting("TOWN"), email: setting("EMAIL"), password: setting("PASSWORD") },
    },
  });
  token = login.data.login.token;
  if (!token) throw new Error(`login refused: ${JSON.stringify(login.data.login.errors)}`);

  // their phone follows the calendar with graphql-ws, the token in connection_init
  const phone = createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    lazy: true,
    retryAttempts: 0,
  });
  const connected = new Promise((resolve, reject) => {
    phone.on("connected", resolve);
    phone.on("closed", (event) =>
      reject(new Error(`websocket closed: ${event.code} ${event.reason}`)),
    );
  });
  const event = firstOutcome(phone, CALENDAR_CHANGES, { householdId });
  await within(15, "the websocket connection", connected);
  emit({ step: "subscribed" });
  if ((await within(30, "go on stdin", nextLine())) !== "go") throw new Error("no go");

  // Apollo reads the calendar, then books the day
  const calendar = await apollo.query({
    query: CALENDAR,
    variables: { householdId, from: day, to: day },
    fetchPolicy: "network-only",
  });
  const submitted = await apollo.mutate({
    mutation: SUBMIT,
    variables: {
      householdId,
      key: `apollo-${Date.now()}`,
      input: {
        changes: [
          {
            childId: setting("CHILD_ID"),
            activityId: setting("ACTIVITY_ID"),
            date: day,
            action: "BOOK",
          },
        ],
      },
    },
  });
  const heard = await within(15, "the calendarChanges event", event);

  // a subscription without a token: the error reaches the client with its code
  const stranger = createClient({ url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0 });
  const refusal = await within(
    15,
    "the refusal",
    firstOutcome(stranger, CALENDAR_CHANGES, { householdId }),
  );

  await phone.dispose();
  await stranger.dispose();
  emit({
    step: "done",
    calendar: calendar.data.calendar,
    submitted: submitted.data.submitBookingChanges,
    event: heard,
    refusal,
  });
});
