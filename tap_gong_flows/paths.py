"""The paths of the Gong endpoints the tap calls (a leaf module: everything may import it)."""

USERS_PATH = "/v2/users"
FLOWS_PATH = "/v2/flows"
FOLDERS_PATH = "/v2/flows/folders"
STEPS_PATH = "/v2/flows/steps"
TASKS_PATH = "/v2/tasks"
ASSIGNED_FLOWS_PATH = "/v2/flows/prospects"
