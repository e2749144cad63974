// A small third-party app, as a maintenance company's developer would write it against
// Rappu's API with a client generated from openapi/openapi.json (openapi-typescript types,
// openapi-fetch calls). tests/e2e/typescript_client.test.mjs type-checks it with tsc and
// runs it against a real gateway, so the API document stays usable by the people it is for.
import createClient from "openapi-fetch";
import type { components, paths } from "./generated/rappu-api.js";

type WorkOrder = components["schemas"]["WorkOrder"];
type Problem = components["schemas"]["Problem"];

/** The client is typed: none of these compiles (the function is never called). */
export function mistakes(rappu: ReturnType<typeof createClient<paths>>): void {
  // @ts-expect-error building_id is a number
  void rappu.GET("/api/v1/buildings/{building_id}/feed", { params: { path: { building_id: "A" } } });
  // @ts-expect-error a hold needs its reason
  void rappu.POST("/api/v1/work-orders/{id}/hold", { params: { path: { id: 1 } }, body: {} });
  // @ts-expect-error there is no such route
  void rappu.GET("/api/v1/buildings/{building_id}/secrets", { params: { path: { building_id: 1 } } });
}

/** What the app saw. */
export interface Seen {
  scope: string;
  expiresIn: number;
  property: string;
  apartments: number;
  announcements: string[];
  openOrders: number;
  received: WorkOrder | null;
  outsideStatus: number;
  outsideProblem: Problem | null;
}

/** Signs in with client credentials, reads a building's feed and work orders, takes one job. */
export async function run(
  baseUrl: string,
  clientId: string,
  clientSecret: string,
  building: number,
  outside: number,
): Promise<Seen> {
  const anonymous = createClient<paths>({ baseUrl });
  const { data: token, error } = await anonymous.POST("/oauth/token", {
    body: {
      grant_type: "client_credentials",
      client_id: clientId,
      client_secret: clientSecret,
    },
    bodySerializer: (form) =>
      new URLSearchParams(Object.entries(form).filter((e): e is [string, string] => typeof e[1] === "string")).toString(),
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
  });
  if (error) {
    // An RFC 6749 error, or (a body too large, say) a plain problem document.
    const why = "error" in error ? `${error.error}: ${error.error_description}` : error.title;
    throw new Error(`token refused: ${why}`);
  }

  const rappu = createClient<paths>({
    baseUrl,
    headers: { Authorization: `Bearer ${token.access_token}` },
  });
  const feed = await rappu.GET("/api/v1/buildings/{building_id}/feed", {
    params: { path: { building_id: building } },
  });
  if (!feed.data) throw new Error(`feed: ${feed.error?.detail}`);
  const apartments = feed.data.staircases
    .flatMap((staircase) => staircase.floors)
    .reduce((n, floor) => n + floor.apartments.length, 0);

  const news = await rappu.GET("/api/v1/buildings/{building_id}/announcements", {
    params: { path: { building_id: building } },
  });
  const orders = await rappu.GET("/api/v1/buildings/{building_id}/work-orders", {
    params: { path: { building_id: building }, query: { state: "open", limit: 100 } },
  });
  const open: WorkOrder[] = orders.data?.items ?? [];
  let received: WorkOrder | null = null;
  const first = open[0];
  if (first) {
    const taken = await rappu.POST("/api/v1/work-orders/{id}/receive", {
      params: { path: { id: first.id } },
    });
    received = taken.data ?? null;
  }
  // A building the app's scope does not cover: a typed problem document.
  const refused = await rappu.GET("/api/v1/buildings/{building_id}/feed", {
    params: { path: { building_id: outside } },
  });

  return {
    scope: token.scope,
    expiresIn: token.expires_in,
    property: feed.data.building.property_name,
    apartments,
    announcements: (news.data?.announcements ?? []).map((a) => a.title),
    openOrders: open.length,
    received,
    outsideStatus: refused.response.status,
    outsideProblem: refused.error ?? null,
  };
}
