# Rendered by `bun run release` from Formula/cc-pool.rb.tmpl: edit the template, then run the release.
class CcPool < Formula
  desc "Launch each Claude Code session on the emptiest of your Claude subscriptions"
  homepage "https://github.com/cc-pool/cc-pool"
  version "0.1.0"
  license "MIT"

  on_macos do
    on_arm do
      url "https://github.com/cc-pool/cc-pool/releases/download/v0.1.0/cc-pool-0.1.0-darwin-arm64.tar.gz"
      sha256 "79e35544ee5aefff8c2c18598ef6d656189610fa9f1c5fc940b90ae995250477"
    end
    on_intel do
      url "https://github.com/cc-pool/cc-pool/releases/download/v0.1.0/cc-pool-0.1.0-darwin-x64.tar.gz"
      sha256 "fce511a6efd339eba72922a2fcb3d74a04d3c5c2d8af67b0399e96dd8670fcb8"
    end
  end

  on_linux do
    on_arm do
      url "https://github.com/cc-pool/cc-pool/releases/download/v0.1.0/cc-pool-0.1.0-linux-arm64.tar.gz"
      sha256 "802867e4117d170c72e9a359e2815569f0273378a844f3a3868dc4d40f13cebd"
    end
    on_intel do
      url "https://github.com/cc-pool/cc-pool/releases/download/v0.1.0/cc-pool-0.1.0-linux-x64.tar.gz"
      sha256 "c013a45509b5d21c9d0cf3737af9e60313ef8d1e82f94ec355a371edbff69c49"
    end
  end

  def install
    bin.install "cc-pool"
    bin.install_symlink "cc-pool" => "ccp"
    # The arm64 binary ships ad-hoc signed, the x86_64 one unsigned (it needs none); re-signing ad hoc
    # here gives the installed binary the same kind of signature on every Mac.
    system "codesign", "--force", "--sign", "-", bin/"cc-pool" if OS.mac?

    bash_completion.install "completions/ccp.bash" => "ccp"
    bash_completion.install_symlink bash_completion/"ccp" => "cc-pool"
    zsh_completion.install "completions/_ccp"
    fish_completion.install "completions/ccp.fish"
    fish_completion.install_symlink fish_completion/"ccp.fish" => "cc-pool.fish"
  end

  def caveats
    <<~EOS
      Run `ccp` to set up your pool of Claude subscriptions.
    EOS
  end

  service do
    run [opt_bin/"cc-pool", "daemon"]
    keep_alive successful_exit: false
    log_path var/"log/cc-pool.log"
    error_log_path var/"log/cc-pool.log"
  end

  test do
    assert_match "cc-pool #{version}", shell_output("#{bin}/ccp --version")
  end
end
