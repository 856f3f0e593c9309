// What the dashboard reads from v1/ring (docs/dashboard.md §2): the survey of every node, as the API's
// ring survey returns it. Types only: the page never imports server code.

export type { EventKind } from "../../api/event-feed.js";
export type { RingSurvey, SurveyedNode } from "../../api/ring-survey.js";
export type { RefStatus } from "../../runtime/node-status.js";
