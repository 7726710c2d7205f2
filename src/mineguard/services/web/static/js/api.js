// The one door to /api/v1: the bearer token from sessionStorage, errors as ApiError with the API's message.

const TOKEN_KEY = "mineguard.token";

export class ApiError extends Error {
  constructor(status, message, details = []) {
    super(message);
    this.status = status;
    this.details = details; // 422: [{loc, field, message, fix}], one per invalid field
  }
}

export const session = {
  get token() {
    return sessionStorage.getItem(TOKEN_KEY);
  },
  set token(value) {
    if (value) sessionStorage.setItem(TOKEN_KEY, value);
    else sessionStorage.removeItem(TOKEN_KEY);
  },
};

async function errorOf(response) {
  try {
    const body = await response.json();
    const problems = body?.error?.problems?.length ? ` (${body.error.problems.join("; ")})` : "";
    return new ApiError(response.status, `${body?.error?.message ?? response.statusText}${problems}`, body?.error?.details ?? []);
  } catch {
    return new ApiError(response.status, `${response.status} ${response.statusText}`);
  }
}

async function call(method, path, body) {
  const headers = {};
  if (session.token) headers.Authorization = `Bearer ${session.token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(`/api/v1${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw await errorOf(response);
  return response;
}

export const api = {
  get: async (path) => (await call("GET", path)).json(),
  post: async (path, body) => {
    const response = await call("POST", path, body);
    return response.status === 204 ? null : response.json();
  },
  put: async (path, body) => (await call("PUT", path, body)).json(),
  /** A file behind the bearer token (camera evidence), as an object URL the caller revokes. */
  blobUrl: async (path) => URL.createObjectURL(await (await call("GET", path.replace(/^\/api\/v1/, ""))).blob()),
  /** A download behind the bearer token (the rescue list's CSV): an object URL and the server's file name. */
  download: async (path) => {
    const response = await call("GET", path);
    const filename = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") ?? "")?.[1];
    return { url: URL.createObjectURL(await response.blob()), filename };
  },
};

export async function logIn(username, password) {
  const answer = await api.post("/auth/token", { username, password });
  session.token = answer.access_token;
  return answer;
}

export async function logOut() {
  try {
    if (session.token) await api.post("/auth/logout");
  } finally {
    session.token = null;
  }
}
