-- wrk script: POST /api/v1/tasks (an echo task) with a bearer token (DE_TOKEN).
wrk.method = "POST"
wrk.path = "/api/v1/tasks"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("DE_TOKEN")
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"type":"echo","input_data":{"n":1}}'
