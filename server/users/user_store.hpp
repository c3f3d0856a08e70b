// The user database: names, sealed passwords, rights, email, creation time,
// and the binding that ties login cookies to the account (users/cookies.hpp).
// User properties are those of disorder_protocol(5) "USER PROPERTIES".
#pragma once

#include "rights.hpp"
#include "sqlite.hpp"
#include "users/password_vault.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace disorder {

// A request that cannot be carried out (the message is for the client).
class UserError : public Error {
public:
  using Error::Error;
};

struct User {
  std::string name;
  std::string password;
  Rights rights = right::none;
  std::string email;
  std::int64_t created = 0;
  bool confirmed = true;
};

class UserStore {
public:
  UserStore(Database& db, const PasswordVault& vault) : db_(db), vault_(vault) {}

  std::optional<User> find(std::string_view name);
  std::vector<std::string> names();
  // Throws UserError for a bad name or an existing user.
  void add(const std::string& name, std::string_view password, Rights rights,
           std::string_view email = {});
  // A registration (the `register` command): the user is added, but cannot
  // log in until confirm() is given the string returned here.  Throws like
  // add(), and UserError for an email address without an '@'.
  std::string add_unconfirmed(const std::string& name, std::string_view password, Rights rights,
                              std::string_view email);
  // Confirms a registration: true (and the user can log in from now on)
  // when `confirmation` is the one add_unconfirmed() gave for this user and
  // has not been used.
  bool confirm(const std::string& name, std::string_view confirmation);
  // False when there was no such user.
  bool remove(const std::string& name);
  // created, email, password, rights.  nullopt when the user or the property
  // does not exist (an unset email counts as absent).
  std::optional<std::string> property(const std::string& name, std::string_view prop);
  // Validates and sets.  Throws UserError ("no such user", "invalid email
  // address", "unknown right 'x'", "cannot modify property 'created'" ...).
  // A new password also ends every cookie made for the user.
  void set_property(const std::string& name, std::string_view prop, std::string_view value);

  // Throws UserError when a name is not acceptable as a user name.
  static void check_name(std::string_view name);

private:
  Database& db_;
  const PasswordVault& vault_;
};

} // namespace disorder
