// Server administration: reconfigure and shutdown.
#include "commands/command_table.hpp"
#include "connection.hpp"
#include "log.hpp"
#include "server.hpp"

namespace disorder::commands {

void reconfigure(CommandContext& ctx, std::span<const std::string>) {
  std::string why = ctx.server.reconfigure();
  if (!why.empty()) throw UserError("new configuration refused: " + why);
  ctx.conn.reply(250, "installed new configuration");
}

void shutdown(CommandContext& ctx, std::span<const std::string>) {
  log_info("shutdown requested by " + ctx.conn.user());
  ctx.conn.reply(250, "shutting down");
  ctx.server.request_shutdown();
}

} // namespace disorder::commands
