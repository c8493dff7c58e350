-- wrk script: GET with a bearer token from the environment (DE_TOKEN).
local token = os.getenv("DE_TOKEN")
wrk.headers["Authorization"] = "Bearer " .. token
