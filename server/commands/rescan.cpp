// The rescan command.
#include "commands/command_table.hpp"
#include "connection.hpp"
#include "server.hpp"

namespace disorder::commands {

void rescan(CommandContext& ctx, std::span<const std::string> args) {
  bool wait = false, fresh = false;
  for (const auto& a : args.subspan(1)) {
    if (a == "wait")
      wait = true;
    else if (a == "fresh")
      fresh = true;
    else
      throw UserError("unknown rescan flag " + echo(a));
  }
  auto& rescanner = ctx.server.rescanner();
  rescanner.request(fresh);
  if (wait) {
    ctx.conn.begin_deferred_reply();
    rescanner.add_waiter(&ctx.conn);
  } else {
    ctx.conn.reply(250, "initiated rescan");
  }
}

} // namespace disorder::commands
