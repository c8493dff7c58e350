// A client generated from src/api/openapi.json (openapi-typescript's types, openapi-fetch)
// driving a running server: log in, list the agents, create a task and read it back. Type-checked
// against the document by `npm run client`, so a path, field or status the document no longer
// has fails the build before it runs. tests/contract/test_openapi_client.py runs it:
//   DE_URL=http://127.0.0.1:8080 DE_EMAIL=... DE_PASSWORD=... node generated/build/client.js
import createClient from "openapi-fetch";
import type { paths } from "../generated/schema.js";

function check(condition: unknown, what: string): asserts condition {
  if (!condition) throw new Error(`client check failed: ${what}`);
}

const client = createClient<paths>({ baseUrl: process.env.DE_URL });

const login = await client.POST("/api/v1/auth/login", {
  body: { email: process.env.DE_EMAIL, password: process.env.DE_PASSWORD ?? "" },
});
check(login.response.status === 200 && login.data?.access_token, `login answered ${login.response.status}`);
const token = login.data.access_token;
client.use({
  onRequest({ request }) {
    request.headers.set("Authorization", `Bearer ${token}`);
    return request;
  },
});

const agents = await client.GET("/api/v1/agents", { params: { query: { limit: 100 } } });
check(agents.response.status === 200 && agents.data, `GET /agents answered ${agents.response.status}`);
const echo = agents.data.items?.find((a) => a.type === "echo");
check(echo?.id, "no echo agent in the list");

const created = await client.POST("/api/v1/tasks", {
  body: { type: "echo", title: "from the generated client", input_data: { hello: "client" } },
});
check(created.response.status === 201 && created.data?.id, `POST /tasks answered ${created.response.status}`);

// The echo agent answers at once: wait until the task has its output.
let task = created.data;
for (let i = 0; i < 100 && task.status !== "completed"; ++i) {
  await new Promise((resolve) => setTimeout(resolve, 100));
  const read = await client.GET("/api/v1/tasks/{id}", { params: { path: { id: created.data.id! } } });
  check(read.response.status === 200 && read.data, `GET /tasks/{id} answered ${read.response.status}`);
  task = read.data;
}
check(task.status === "completed", `the task is ${task.status}`);

// An error comes back typed as the document's Problem.
const missing = await client.GET("/api/v1/tasks/{id}", {
  params: { path: { id: "00000000-0000-7000-8000-000000000000" } },
});
check(missing.response.status === 404 && missing.error?.status === 404, `unknown task answered ${missing.response.status}`);

console.log(JSON.stringify({ agents: agents.data.items?.length, echo: echo.id, task: task.id, status: task.status, output: task.output_data, problem: missing.error.type }));
