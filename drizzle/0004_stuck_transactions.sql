ALTER TABLE `transaction_signatures` ADD `kind` text DEFAULT 'original' NOT NULL;--> statement-breakpoint
ALTER TABLE `transaction_signatures` ADD `status` text DEFAULT 'pending' NOT NULL;--> statement-breakpoint
ALTER TABLE `transaction_signatures` ADD `gas_limit` text;--> statement-breakpoint
ALTER TABLE `transaction_signatures` ADD `node_error` text;