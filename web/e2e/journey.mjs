// Browser walk of JOURNEYS 1-5 against a running chat-local that serves the UI itself:
// an agent and a guest through a conversation with files, the forms robot and a shared
// answer; a supervisor observing, breaking in and whispering; a cut connection and its
// resume; escalation to a new room and in the same room; conclusions, a guest who leaves
// and one who closes the tab; a streamed joke in a group room; paging back through a
// long history; admin. Screenshots go to $SHOTS_DIR. Prints "N passed, N failed" last.
//
// Env: WEB_URL (the gateway), SHOTS_DIR, CHROMIUM (default /usr/bin/chromium).

import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { WEB_URL, assertGuestWireClean, launch, log, pageProblems, person, results, shot, signIn, step } from "./people.mjs";

const FORM_EXPORT =
  process.env.FORM_EXPORT ??
  fileURLToPath(new URL("../../shared/form-observations/tests/forms/5375703.json", import.meta.url));

const browser = await launch();

let failed = false;
try {
  // Separate contexts: separate sessionStorage, cookies and sockets, as two people.
  const agent = await person(browser, "alice");
  const guest = await person(browser, "John Q (guest)", { viewport: { width: 900, height: 700 }, frames: true });
  // The agent's WebSocket goes through Playwright, so a step can cut it (and refuse
  // new ones) like a flaky network would, while the server and the guest stay up.
  const agentNet = { offline: false, current: undefined };
  await agent.routeWebSocket(/\/ws\?ticket=/, (ws) => {
    if (agentNet.offline) {
      ws.close({ code: 1006, reason: "offline" });
      return;
    }
    agentNet.current = ws;
    ws.connectToServer();
  });
  let inviteLink = "";

  await step("sign-in works from the keyboard alone (Tab, type, Enter)", async () => {
    const page = await person(browser, "carol (keyboard)");
    await page.goto(`${WEB_URL}/`);
    await page.getByLabel("Username", { exact: true }).waitFor();
    const focused = async () => page.evaluate(() => document.activeElement?.id || document.activeElement?.textContent);
    await page.keyboard.press("Tab");
    if ((await focused()) !== "username") throw new Error(`first Tab stop is ${await focused()}`);
    await page.keyboard.type("carol");
    await page.keyboard.press("Tab");
    await page.keyboard.type("carol-pass");
    await page.keyboard.press("Tab");
    if ((await focused()) !== "Sign in") throw new Error(`third Tab stop is ${await focused()}`);
    await page.keyboard.press("Enter");
    await page.getByRole("status", { name: "Connection: Connected" }).waitFor();
    await page.context().close();
  });

  await step("agent signs in", async () => {
    const t0 = Date.now();
    await agent.goto(`${WEB_URL}/`);
    await agent.getByLabel("Username", { exact: true }).waitFor();
    console.log(`     sign-in page ready in ${Date.now() - t0} ms`);
    await shot(agent, "sign-in");
    await agent.getByLabel("Username", { exact: true }).fill("alice");
    await agent.getByLabel("Password", { exact: true }).fill("alice-pass");
    await agent.getByRole("button", { name: "Sign in", exact: true }).click();
    await agent.getByRole("status", { name: "Connection: Connected" }).waitFor();
  });

  await step("agent creates a conversation", async () => {
    await agent.getByRole("button", { name: "New conversation", exact: true }).click();
    await agent.getByLabel("Title", { exact: true }).fill("Form 5375703 hides fields at random");
    await agent.getByLabel("Customer name", { exact: true }).fill("John Q");
    await agent.getByLabel("Form id", { exact: true }).fill("5375703");
    await shot(agent, "new-conversation");
    await agent.getByRole("button", { name: "Create", exact: true }).click();
    await agent.getByRole("heading", { name: "Form 5375703 hides fields at random" }).waitFor();
    await log(agent).waitFor();
  });

  await step("agent invites a guest", async () => {
    await agent.getByRole("button", { name: "Invite guest", exact: true }).click();
    const field = agent.getByLabel("Guest link", { exact: true });
    await field.waitFor();
    inviteLink = await field.inputValue();
    if (!/\/join#code=.+/.test(inviteLink)) throw new Error(`unexpected invite link ${inviteLink}`);
    if (!inviteLink.startsWith(WEB_URL)) throw new Error(`link not on this origin: ${inviteLink}`);
    await shot(agent, "invite-guest");
  });

  await step("guest joins from the link", async () => {
    await guest.goto(inviteLink);
    await guest.getByLabel("Your name", { exact: true }).fill("John Q");
    await shot(guest, "guest-join");
    await guest.getByRole("button", { name: "Join", exact: true }).click();
    await log(guest).waitFor();
    await guest.getByRole("status", { name: "Connection: Connected" }).waitFor();
    if (guest.url().includes("code=")) throw new Error("invite code left in the address bar");
  });

  await step("guest types (the agent sees it), sends, agent receives", async () => {
    const box = guest.getByLabel("Message", { exact: true });
    await box.pressSequentially("Hello");
    await agent.getByText("John Q is typing…").waitFor();
    await box.fill("Hello, my form hides fields at random.");
    await box.press("Enter"); // Enter sends
    await log(guest).getByText("Hello, my form hides fields at random.").waitFor();
    await log(agent).getByText("Hello, my form hides fields at random.").waitFor();
  });

  await step("agent replies, guest receives", async () => {
    await agent.getByLabel("Message", { exact: true }).fill("Hi John, I'm looking at form 5375703 now.");
    await agent.getByRole("button", { name: "Send", exact: true }).click();
    await log(guest).getByText("Hi John, I'm looking at form 5375703 now.").waitFor();
    await shot(agent, "agent-console");
    await shot(guest, "guest-chat");
  });

  await step("guest uploads an image; the agent sees its thumbnail and downloads it", async () => {
    // Any real PNG will do: a screenshot of the guest's own page.
    const png = await guest.screenshot({ clip: { x: 0, y: 0, width: 240, height: 160 } });
    const chooser = guest.waitForEvent("filechooser");
    await guest.getByRole("button", { name: "Upload file", exact: true }).click();
    await (await chooser).setFiles({ name: "broken-form.png", mimeType: "image/png", buffer: png });
    await log(guest).getByRole("img", { name: "broken-form.png" }).waitFor({ timeout: 30_000 });
    await log(agent).getByRole("img", { name: "broken-form.png" }).waitFor({ timeout: 30_000 });
    const download = agent.waitForEvent("download");
    await log(agent).getByRole("button", { name: "Download broken-form.png" }).click();
    const file = await download;
    if (file.suggestedFilename() !== "broken-form.png") throw new Error(`downloaded ${file.suggestedFilename()}`);
    await shot(guest, "guest-image");
  });

  await step("agent uploads the form export and the forms robot diagnoses it", async () => {
    const chooser = agent.waitForEvent("filechooser");
    await agent.getByRole("button", { name: "Upload file", exact: true }).click();
    await (await chooser).setFiles(FORM_EXPORT);
    await log(agent).getByRole("button", { name: "Download 5375703.json" }).waitFor({ timeout: 30_000 });
    // A file an employee sends is the guest's too (files go both ways).
    await log(guest).getByRole("button", { name: "Download 5375703.json" }).waitFor();
    await agent.getByLabel("Robot", { exact: true }).selectOption("iStackBuddy.forms.diagnostics");
    await agent.getByRole("button", { name: "Invite robot", exact: true }).click();
    await agent.getByRole("button", { name: "Invite robot", exact: true }).and(agent.locator(":disabled")).waitFor();
    await agent.getByLabel("Form file", { exact: true }).selectOption({ label: "5375703.json" });
    await agent.getByLabel("Question", { exact: true }).fill("Check form 5375703");
    await agent.getByRole("button", { name: "Ask", exact: true }).click();
    // Four answers: summary, graph, image, report; the first completes last.
    const answers = log(agent).locator(".msg.by-robot");
    await log(agent).getByRole("img", { name: /^Logic graph/ }).waitFor({ timeout: 60_000 });
    await answers.first().locator(".badge", { hasText: /Pending|Writing/ }).waitFor({ state: "detached", timeout: 60_000 });
    const count = await answers.count();
    if (count < 4) throw new Error(`expected 4 answers, got ${count}`);
    // Each node names its field and type (the export's field names, read right).
    const titles = await log(agent).locator("svg title").allTextContents();
    if (!titles.length || titles.some((t) => t.includes("undefined"))) throw new Error(`graph titles: ${titles.slice(0, 3)}`);
    await shot(agent, "forms-robot");
    if ((await guest.locator("body").innerText()).includes("Logic graph")) throw new Error("guest sees the graph");
  });

  let summaryText = "";
  await step("agent shares the summary in plain words; the guest sees only that", async () => {
    const summary = log(agent).locator(".msg.by-robot").first();
    summaryText = (await summary.locator(".text").innerText()).trim();
    if (summaryText.length < 40) throw new Error(`short summary: ${summaryText}`);
    await summary.getByRole("button", { name: "Share", exact: true }).click();
    const plain = "Our check found circular visibility rules in your form; we are fixing them.";
    await summary.getByLabel("Shared text", { exact: true }).fill(plain);
    await summary.getByRole("button", { name: "Share with everyone", exact: true }).click();
    await log(guest).getByText(plain).waitFor();
  });

  let joke = "";
  await step("agent asks a streaming robot; the answer streams in, employees only", async () => {
    await agent.getByLabel("Robot", { exact: true }).selectOption("iStackBuddy.stream.jokes");
    await agent.getByRole("button", { name: "Invite robot", exact: true }).click();
    await agent.getByRole("button", { name: "Invite robot", exact: true }).and(agent.locator(":disabled")).waitFor();
    await agent.getByLabel("Question", { exact: true }).fill("Tell John Q a joke about his form");
    const before = await log(agent).locator(".msg.by-robot").count();
    await agent.getByRole("button", { name: "Ask", exact: true }).click();
    const answer = log(agent).locator(".msg.by-robot").nth(before);
    await answer.waitFor();
    // Done when neither "Pending…" nor "Writing…" is shown on it.
    await answer.locator(".badge", { hasText: /Pending|Writing/ }).waitFor({ state: "detached", timeout: 30_000 });
    joke = (await answer.locator(".text").innerText()).trim();
    if (!joke) throw new Error("empty robot answer");
    if (!(await answer.getByText("Employees only").isVisible())) throw new Error("robot answer not marked employees-only");
    await shot(agent, "robot-answer");
    const guestText = await guest.locator("body").innerText();
    if (guestText.includes(joke.slice(0, 40))) throw new Error("guest sees the unshared robot answer");
    // Not shown is not enough: neither answer, nor any delta of them, reached the guest.
    assertGuestWireClean(guest, [joke.slice(0, 40), summaryText.slice(0, 40)]);
  });

  await step("agent edits and shares the answer; the guest sees the shared copy", async () => {
    const answer = log(agent).locator(".msg.by-robot").filter({ hasText: joke.slice(0, 30) }).first();
    await answer.getByRole("button", { name: "Share", exact: true }).click();
    const edited = `From our robot: ${joke}`.slice(0, 400);
    await answer.getByLabel("Shared text", { exact: true }).fill(edited);
    await answer.getByRole("button", { name: "Share with everyone", exact: true }).click();
    await log(guest).getByText(edited).waitFor();
    await shot(guest, "guest-shared-answer");
  });

  const sup = await person(browser, "sam");
  const TITLE = "Form 5375703 hides fields at random";
  const row = () => sup.getByRole("table", { name: "Rooms" }).getByRole("row").filter({ hasText: TITLE });

  await step("supervisor sees the room on the dashboard", async () => {
    await signIn(sup, "sam");
    await row().waitFor();
    await row().getByRole("button", { name: `Participants of ${TITLE}` }).click();
    await sup.getByRole("list", { name: "Participants" }).getByText(/John Q — guest/).waitFor();
    await shot(sup, "supervisor-dashboard");
  });

  await step("supervisor observes silently and sees the whole conversation", async () => {
    await row().getByRole("button", { name: "Observe", exact: true }).click();
    await log(sup).getByText("Hello, my form hides fields at random.").waitFor();
    await sup.getByText("You are observing this conversation silently.").waitFor();
    // Live events reach the observer.
    await agent.getByLabel("Message", { exact: true }).fill("Still checking, John.");
    await agent.getByLabel("Message", { exact: true }).press("Enter");
    await log(sup).getByText("Still checking, John.").waitFor();
    await shot(sup, "supervisor-observe");
  });

  await step("supervisor breaks in and whispers; only employees see the whisper", async () => {
    await sup.getByRole("button", { name: "Supervisor dashboard", exact: true }).click();
    await row().getByRole("button", { name: "Break in", exact: true }).click();
    await sup.getByLabel("Message", { exact: true }).waitFor();
    await sup.getByLabel("Employees only (whisper)").check();
    await sup.getByLabel("Message", { exact: true }).fill("Hint: ask John which rule he changed last.");
    await sup.getByRole("button", { name: "Send", exact: true }).click();
    await log(agent).getByText("Hint: ask John which rule he changed last.").waitFor();
    await agent.getByRole("button", { name: "Send", exact: true }).waitFor();
    await shot(agent, "agent-whisper");
    // Give the guest's socket the same chance to (wrongly) receive it.
    await guest.waitForTimeout(500);
    if ((await guest.locator("body").innerText()).includes("which rule he changed last")) {
      throw new Error("the guest received a whisper");
    }
    assertGuestWireClean(guest, ["which rule he changed last", summaryText.slice(0, 40)]);
  });

  await step("the employee answers the whisper; the supervisor leaves", async () => {
    await agent.getByLabel("Message", { exact: true }).fill("Thanks Sam, asking him now.");
    await agent.getByRole("button", { name: "Send", exact: true }).click();
    await log(sup).getByText("Thanks Sam, asking him now.").waitFor();
    await sup.getByRole("button", { name: "Leave room", exact: true }).click();
    await log(agent).getByText(/Sam.*left/).waitFor();
  });

  await step("the audit log shows the observation and the break-in", async () => {
    await sup.getByRole("button", { name: "Supervisor dashboard", exact: true }).click();
    const audit = sup.getByRole("list", { name: "Audit log" });
    await audit.getByText(/observe/i).first().waitFor();
    await audit.getByText(/break/i).first().waitFor();
    const download = sup.waitForEvent("download");
    await row().getByRole("button", { name: `Transcript of ${TITLE}` }).click();
    const md = await readFile(await (await download).path(), "utf8");
    if (!md.includes("Hello, my form hides fields at random.")) throw new Error("transcript lacks the conversation");
  });

  await step("a reloaded tab is usable within 1 s (best of 3)", async () => {
    // Usable = the conversation's history shown and the socket connected. Best of
    // three, so one hiccup of a busy 2-core machine does not decide the budget.
    const times = [];
    for (let i = 0; i < 3; i++) {
      const t0 = Date.now();
      await agent.reload();
      await log(agent).getByText("Still checking, John.").waitFor();
      await agent.getByRole("status", { name: "Connection: Connected" }).waitFor();
      times.push(Date.now() - t0);
    }
    console.log(`     conversation usable ${times.join(" / ")} ms after reload`);
    if (Math.min(...times) > 1000) throw new Error(`took ${Math.min(...times)} ms`);
  });

  await step("the agent's connection drops; on reconnect the missed message arrives (resume by afterSeq)", async () => {
    agentNet.offline = true;
    agentNet.current?.close({ code: 1006, reason: "network drop" });
    await agent.getByRole("status", { name: "Connection: Reconnecting…" }).waitFor();
    const box = guest.getByLabel("Message", { exact: true });
    await box.fill("Sent while your connection was down.");
    await box.press("Enter");
    await log(guest).getByText("Sent while your connection was down.").waitFor();
    await shot(agent, "agent-reconnecting");
    if (await log(agent).getByText("Sent while your connection was down.").count()) {
      throw new Error("the cut connection still delivered");
    }
    agentNet.offline = false;
    await agent.getByRole("status", { name: "Connection: Connected" }).waitFor({ timeout: 30_000 });
    await log(agent).getByText("Sent while your connection was down.").waitFor();
  });

  const bob = await person(browser, "bob");
  await step("agent escalates to T2 in a new room; Bob (T2, online) takes it with the guest", async () => {
    await signIn(bob, "bob");
    await bob.getByRole("status", { name: "Connection: Connected" }).waitFor();
    await agent.getByRole("button", { name: "Escalate", exact: true }).click();
    await agent.getByLabel("Note", { exact: true }).fill("Circular logic: needs T2");
    await agent.getByRole("button", { name: "Escalate one tier", exact: true }).click();
    await agent.getByRole("navigation", { name: "Conversations" }).getByText("concluded").waitFor();
    await bob.getByRole("navigation", { name: "Conversations" }).getByRole("button", { name: new RegExp(TITLE) }).click();
    await log(bob).waitFor();
    await shot(bob, "escalated-room");
    const box = guest.getByLabel("Message", { exact: true });
    await box.fill("Thanks for bringing in more help.");
    await box.press("Enter");
    await log(bob).getByText("Thanks for bringing in more help.").waitFor();
  });

  await step("Bob concludes resolved; the guest is told; the issue shows its history", async () => {
    await bob.getByRole("button", { name: "Conclude", exact: true }).click();
    await bob.getByLabel("Conclusion", { exact: true }).selectOption("resolved");
    await bob.getByRole("button", { name: "Conclude conversation", exact: true }).click();
    await guest.getByText(/This conversation has concluded \(resolved\)/).waitFor();
    await bob.getByText(/Issue history/).click();
    await bob.locator(".history").getByText(/escalat/i).first().waitFor();
    await shot(bob, "issue-history");
    await guest.getByRole("radio", { name: "5" }).check();
    await guest.getByLabel("Comment", { exact: true }).fill("Quick and friendly.");
    await shot(guest, "guest-concluded");
    await guest.getByRole("button", { name: "Rate", exact: true }).click();
    await guest.getByText("Thank you for your feedback.").waitFor();
  });

  await step("the guest's page and socket never held employee-only text", async () => {
    const text = await guest.locator("body").innerText();
    for (const secret of ["Employees only", "which rule he changed last", summaryText.slice(0, 40), "Logic graph"]) {
      if (text.includes(secret)) throw new Error(`the guest page shows ${JSON.stringify(secret)}`);
    }
    const frames = assertGuestWireClean(guest, ["which rule he changed last", summaryText.slice(0, 40)]);
    console.log(`     ${frames} frames to the guest checked`);
  });
  await step("another room is escalated in place to Bob; its guest leaves: guest-disengaged", async () => {
    await agent.getByRole("button", { name: "New conversation", exact: true }).click();
    await agent.getByLabel("Title", { exact: true }).fill("Quick question about exports");
    await agent.getByLabel("Customer name", { exact: true }).fill("Jane R");
    await agent.getByRole("button", { name: "Create", exact: true }).click();
    await agent.getByRole("heading", { name: "Quick question about exports" }).waitFor();
    await agent.getByRole("button", { name: "Invite guest", exact: true }).click();
    const link = await agent.getByLabel("Guest link", { exact: true }).inputValue();
    const jane = await person(browser, "Jane R (guest)", { frames: true });
    await jane.goto(link);
    await jane.getByLabel("Your name", { exact: true }).fill("Jane R");
    await jane.getByRole("button", { name: "Join", exact: true }).click();
    await jane.getByRole("status", { name: "Connection: Connected" }).waitFor();
    // Escalated in the same room: Bob (T2) joins it, the guest is told, nobody moves.
    await agent.getByRole("button", { name: "Escalate", exact: true }).click();
    await agent.getByLabel("In a new room").uncheck();
    await agent.getByRole("button", { name: "Escalate one tier", exact: true }).click();
    await log(jane).getByText(/Bob.*joined/).waitFor();
    await bob.getByRole("navigation", { name: "Conversations" }).getByRole("button", { name: /Quick question about exports/ }).click();
    await log(bob).getByText(/Bob.*joined/).waitFor();
    if (await agent.getByText(/This conversation has concluded/).count()) throw new Error("same-room escalation concluded the room");
    await jane.getByLabel("Message", { exact: true }).fill("Hi Bob.");
    await jane.getByLabel("Message", { exact: true }).press("Enter");
    await log(bob).getByText("Hi Bob.").waitFor();
    await log(agent).getByText("Hi Bob.").waitFor();
    await jane.getByRole("button", { name: "Leave", exact: true }).click();
    await jane.getByText("You left the conversation.").waitFor();
    await agent.getByText(/This conversation has concluded \(guest-disengaged\)/).waitFor();
    await shot(agent, "agent-concluded");
  });
  await step("a guest reloads and resumes, then closes the tab; the room concludes guest-disengaged", async () => {
    await agent.getByRole("button", { name: "New conversation", exact: true }).click();
    await agent.getByLabel("Title", { exact: true }).fill("Kim cannot upload a signature");
    await agent.getByRole("button", { name: "Create", exact: true }).click();
    await agent.getByRole("heading", { name: "Kim cannot upload a signature" }).waitFor();
    await agent.getByRole("button", { name: "Invite guest", exact: true }).click();
    const link = await agent.getByLabel("Guest link", { exact: true }).inputValue();
    // Kim is on a phone: the same view in one narrow column.
    const kim = await person(browser, "Kim (guest)", { viewport: { width: 390, height: 760 }, frames: true });
    await kim.goto(link);
    await kim.getByLabel("Your name", { exact: true }).fill("Kim");
    await kim.getByRole("button", { name: "Join", exact: true }).click();
    await kim.getByLabel("Message", { exact: true }).fill("The signature field stays empty.");
    await kim.getByLabel("Message", { exact: true }).press("Enter");
    await log(agent).getByText("The signature field stays empty.").waitFor();
    const overflow = await kim.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    if (overflow > 0) throw new Error(`the phone view scrolls sideways by ${overflow}px`);
    await shot(kim, "guest-phone");
    await kim.reload(); // same tab: the session and the history come back
    await log(kim).getByText("The signature field stays empty.").waitFor();
    await kim.context().close(); // the tab is closed for good
    await agent.getByText(/This conversation has concluded \(guest-disengaged\)/).waitFor({ timeout: 30_000 });
  });

  await step("Alice and Carol share a group room; a jokes robot streams an answer to both", async () => {
    const carol = await person(browser, "carol");
    await signIn(carol, "carol");
    await carol.getByRole("status", { name: "Connection: Connected" }).waitFor();

    await agent.getByRole("button", { name: "New conversation", exact: true }).click();
    await agent.getByLabel("Title", { exact: true }).fill("Internal: exports keep timing out");
    await agent.getByLabel("Customer name", { exact: true }).fill("John Q");
    await agent.getByRole("radio", { name: "Group" }).check();
    await agent.getByRole("button", { name: "Create", exact: true }).click();
    await agent.getByRole("heading", { name: "Internal: exports keep timing out" }).waitFor();
    await agent.getByRole("button", { name: "Invite employee", exact: true }).click();
    const carolId = await agent.getByLabel("Employee", { exact: true }).locator("option", { hasText: "Carol" }).getAttribute("value");
    await agent.getByLabel("Employee", { exact: true }).selectOption(carolId);
    await agent.getByRole("button", { name: "Invite", exact: true }).click();
    await carol.getByRole("navigation", { name: "Conversations" })
      .getByRole("button", { name: /Internal: exports keep timing out/ }).click();
    await log(carol).waitFor();

    await agent.getByLabel("Robot", { exact: true }).selectOption("iStackBuddy.stream.jokes");
    await agent.getByRole("button", { name: "Invite robot", exact: true }).click();
    await agent.getByRole("button", { name: "Invite robot", exact: true }).and(agent.locator(":disabled")).waitFor();
    await agent.getByLabel("Question", { exact: true }).fill("A dad joke for John Q, please");
    await agent.getByRole("button", { name: "Ask", exact: true }).click();
    // Carol watches it stream: "Writing…" while the deltas arrive, then the full text.
    const answer = log(carol).locator(".msg.by-robot").first();
    await answer.getByText("Writing…").waitFor();
    await shot(carol, "streaming-answer");
    await answer.locator(".badge", { hasText: /Pending|Writing/ }).waitFor({ state: "detached", timeout: 30_000 });
    const text = (await answer.locator(".text").innerText()).trim();
    if (!text.includes("John Q")) throw new Error(`joke not addressed to John Q: ${text}`);
    await carol.context().close();
  });

  await step("a long conversation pages back: the newest 50 first, older on request", async () => {
    const box = agent.getByLabel("Message", { exact: true });
    const line = (n) => `Timeout sample ${String(n).padStart(2, "0")}`;
    for (let n = 1; n <= 55; n++) {
      await box.fill(line(n));
      await box.press("Enter");
      // Each one lands before the next is typed, as a person would see it.
      await log(agent).getByText(line(n), { exact: true }).waitFor();
    }
    await agent.reload();
    await log(agent).getByText(line(55), { exact: true }).waitFor();
    if (await log(agent).getByText(line(1), { exact: true }).count()) throw new Error("the first page holds more than 50");
    await agent.getByRole("button", { name: "Load earlier messages", exact: true }).click();
    await log(agent).getByText(line(1), { exact: true }).waitFor();
    await log(agent).getByText("A dad joke for John Q, please").waitFor();
  });

  await step("admin adds an employee, promotes her, revokes her tokens, makes her a supervisor, disables her", async () => {
    const admin = await person(browser, "admin");
    await signIn(admin, "admin");
    await admin.getByRole("button", { name: "Users", exact: true }).click();
    await admin.getByLabel("New username", { exact: true }).fill("dana");
    await admin.getByLabel("Display name", { exact: true }).fill("Dana");
    await admin.getByLabel("Initial password", { exact: true }).fill("dana-pass-123");
    await admin.getByRole("button", { name: "Add user", exact: true }).click();
    const danaRow = admin.getByRole("table", { name: "Users" }).getByRole("row").filter({ hasText: "dana" });
    await danaRow.waitFor();
    await admin.getByLabel("Tier of dana", { exact: true }).selectOption("T2");
    await danaRow.getByText("T2").first().waitFor({ state: "attached" });

    const dana = await person(browser, "dana");
    await signIn(dana, "dana", "dana-pass-123");
    await dana.getByRole("status", { name: "Connection: Connected" }).waitFor();
    await dana.getByText("Dana (T2)").waitFor();

    // Revoke ends her session at once; a supervisor role shows on her next sign-in.
    await danaRow.getByRole("button", { name: "Revoke", exact: true }).click();
    await dana.getByText("Your session has ended. Sign in again.").waitFor({ timeout: 20_000 });
    await danaRow.getByRole("checkbox", { name: "supervisor" }).check();
    await danaRow.getByRole("checkbox", { name: "supervisor" }).and(admin.locator(":checked")).waitFor();
    await signIn(dana, "dana", "dana-pass-123");
    await dana.getByRole("table", { name: "Rooms" }).waitFor();

    await danaRow.getByRole("button", { name: "Disable", exact: true }).click();
    await danaRow.getByRole("button", { name: "Enable", exact: true }).waitFor();
    await shot(admin, "admin-users");
    await dana.getByText("Your session has ended. Sign in again.").waitFor({ timeout: 20_000 });
    await dana.getByLabel("Username", { exact: true }).fill("dana");
    await dana.getByLabel("Password", { exact: true }).fill("dana-pass-123");
    await dana.getByRole("button", { name: "Sign in", exact: true }).click();
    await dana.getByText("Wrong username or password.").waitFor();
  });
  await step("no page had a script error or a Content-Security-Policy violation", async () => {
    if (pageProblems.length) throw new Error(pageProblems.join("\n"));
  });
} catch {
  failed = true;
} finally {
  await browser.close();
}

const passed = results.filter((r) => r.ok).length;
console.log(`${passed} passed, ${results.length - passed} failed`);
process.exit(failed ? 1 : 0);
