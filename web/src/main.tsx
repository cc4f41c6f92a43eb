import { render } from "preact";
import { App } from "./app";
import { loadConfig } from "./client/config";
import { configure, resumeSession } from "./state/session";
import "./styles.css";

// The API's location first (a deploy-time config.json, else this origin), then the UI.
void loadConfig().then((config) => {
  configure(config);
  resumeSession();
  render(<App />, document.getElementById("app")!);
});
