// Apollo Client's own automatic persisted queries link (@apollo/client/link/persisted-
// queries), hashing with Node's crypto, hashed queries over GET: the first read misses and
// is sent again with its document, the second is a hash alone.
//
// env: FAMILLE_URL (http://host:port), TOWN
// stdout: {"first": data, "second": data, "requests": [{method, query, hash, status,
//          cacheControl}, ...]}
import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";
import { createHash } from "node:crypto";

import { emit, run, setting } from "./harness.mjs";

const CATALOGUE = gql`
  query Catalogue($town: String!) {
    catalogue(town: $town) { activities { code } }
  }
`;

const url = setting("FAMILLE_URL");
const requests = [];

/** fetch, noting what each request carried and what came back. */
async function noted(input, init = {}) {
  const response = await fetch(input, init);
  const target = new URL(String(input));
  const body = init.body ? JSON.parse(init.body) : {};
  const extensions = body.extensions ?? JSON.parse(target.searchParams.get("extensions") ?? "{}");
  requests.push({
    method: init.method ?? "GET",
    query: Boolean(body.query ?? target.searchParams.get("query")),
    hash: extensions.persistedQuery?.sha256Hash ?? null,
    status: response.status,
    cacheControl: response.headers.get("cache-control"),
  });
  return response;
}

const apollo = new ApolloClient({
  link: new PersistedQueryLink({
    sha256: (text) => createHash("sha256").update(text).digest("hex"),
    useGETForHashedQueries: true,
  }).concat(new HttpLink({ uri: `${url}/graphql`, fetch: noted })),
  cache: new InMemoryCache(),
});

run(async () => {
  const read = () =>
    apollo.query({ query: CATALOGUE, variables: { town: setting("TOWN") }, fetchPolicy: "network-only" });
  const first = await read();
  const second = await read();
  emit({ first: first.data, second: second.data, requests });
});
