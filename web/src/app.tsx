// Which screen a tab shows: the guest view on /join, else sign-in or the console.

import { session } from "./state/session";
import { Console } from "./ui/Console";
import { GuestView } from "./ui/Guest";
import { SignIn } from "./ui/SignIn";

export function App() {
  const store = session.value;
  if (location.pathname === "/join") return <GuestView />;
  if (!store || store.isGuest) return <SignIn />;
  return <Console store={store} />;
}
